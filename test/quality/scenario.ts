// The detection-quality test's scenario interface (test/detection-quality.test.ts).
//
// A scenario is one class of traffic — an attack, or a look-alike of normal
// traffic — sent through the real MTAs of the run (Postfix + Dovecot and Exim,
// test/setup/mta/), with real probes tailing their logs and the collector
// detecting with its default settings. All scenarios of a run share the two
// MTAs and run concurrently, so each one declares its own client addresses
// (`actors`, loopback 127.x.y.z, unique in the run: the harness checks), its
// own SASL accounts (`accounts`, created on the MTAs before the run) and its
// own recipients and script folders; a culprit is therefore identifiable per
// scenario.
//
// Adding a scenario: write a module under test/quality/scenarios/ exporting a
// Scenario (or a list), and add it to test/quality/scenarios/index.ts.
import type { EximLab } from "../setup/mta/exim-lab.js";
import type { PostfixLab } from "../setup/mta/postfix-lab.js";
import type { PendingFix } from "./pending-fixes.js";

/** Which MTA a scenario's traffic goes through, and the host id its probe reports. */
export type QualityHost = "postfix" | "exim";

/** One incident as the collector stored it (alerts FINAL), as the test compares it. */
export interface ObservedIncident {
  rule: string;
  scope: "host" | "fleet";
  subject: string;
  hosts: string[];
  summary: string;
  /** When the collector opened it (its first version was written), ms since the epoch. */
  openedAtMs: number;
  /**
   * Each summary the incident carried, with when that version was written
   * (oldest first): an incident opened by one check (e.g. open-relay's
   * configuration check at probe start) names a culprit found by another
   * check only from a later version on.
   */
  versions: readonly { atMs: number; summary: string }[];
}

/** An incident a scenario must raise: the right rule naming the right culprit. */
export interface ExpectedIncident {
  rule: string;
  /** Does this incident name the culprit (subject: client IP, account, script path, host, ...)? */
  culprit: (incident: ObservedIncident) => boolean;
  /** Human wording of the culprit, for the printed table. */
  culpritLabel: string;
  /**
   * The run mark (ScenarioRun.marks) at which the attack crossed this rule's
   * default bar (e.g. the 51st message): the table also prints mark →
   * incident, the detection pipeline's own delay, apart from how fast the
   * lab could send.
   */
  barMark?: string;
  /**
   * Set when finding this incident needs another helper's fix that may not be
   * merged yet: the run reports it, but asserts it only once the fix is marked
   * merged in test/quality/pending-fixes.ts.
   */
  needs?: PendingFix;
  /**
   * Set when the MTA's configuration, not the scenario's traffic, raises this
   * incident (open-relay's configuration check fires when the probe starts,
   * before any mail): there is no first activity → incident to measure, so
   * the table prints it as "at start" and it stays out of the latency figures.
   */
  raisedByConfiguration?: true;
}

/** Host id of the probe on each MTA of the run. */
export const QUALITY_HOST_ID: Record<QualityHost, string> = { postfix: "pf-host", exim: "ex-host" };

/** What the run offers a scenario: the MTAs (with the accounts and permitted clients every scenario declared). */
export interface QualityLab {
  postfix: PostfixLab;
  exim: EximLab;
  /** Password of a declared account (the same on both MTAs). */
  password(account: string): string;
}

/** What a scenario's run reports. */
export interface ScenarioRun {
  /** Time of the scenario's first activity (the first SMTP connection / submission), ms since the epoch. */
  firstActivityMs: number;
  /** Named moments of the run (e.g. "51st message accepted"), ms since the epoch. */
  marks?: Record<string, number>;
}

/** Records named marks when a running count reaches them: `counter.add()` after each accepted message / refused login. */
export class MarkCounter {
  readonly marks: Record<string, number> = {};
  private count = 0;
  constructor(private readonly at: Readonly<Record<string, number>>) {}
  add(): void {
    this.count++;
    for (const [name, n] of Object.entries(this.at)) if (this.count === n) this.marks[name] = Date.now();
  }
}

/** One class of traffic in the mixed run. */
export interface Scenario {
  /** Unique, short, kebab-case (printed in the table). */
  name: string;
  /** What it stands for, one line. */
  description: string;
  /**
   * Incidents it must raise; empty for a look-alike of normal traffic, which
   * must raise nothing (any incident naming one of its culprits is a false alert).
   */
  expected: readonly ExpectedIncident[];
  /**
   * What names this scenario in an incident: its client addresses (swaks'
   * --local-interface; unique in the run), accounts, script folders. An
   * incident whose subject or summary mentions one is this scenario's: for a
   * look-alike that is a false alert; for an attack, an extra incident about
   * the attacker. An incident no scenario owns is a false alert too.
   */
  actors: readonly string[];
  /** SASL accounts the scenario logs in as, per MTA (created before the run; password lab.password(name)). */
  accounts?: Partial<Record<QualityHost, readonly string[]>>;
  /** Clients the MTA permits to relay without authentication (Postfix mynetworks, Exim relay_from_hosts), e.g. an application server. */
  permittedClients?: Partial<Record<QualityHost, readonly string[]>>;
  /** MTAs this scenario needs configured as an open relay (Postfix mynetworks 0.0.0.0/0, Exim relay_from_hosts *) for the whole run. */
  openRelay?: readonly QualityHost[];
  /**
   * A look-alike that stays silent only with another helper's fix: its false
   * alerts are reported but asserted only once the fix is marked merged.
   */
  needs?: PendingFix;
  /** Sends the traffic through the real MTAs; records its first activity. Throws when the MTA does not behave as the scenario needs. */
  run(lab: QualityLab): Promise<ScenarioRun>;
}

/** Runs `send` after noting the time: the usual way to record a scenario's first activity. */
export async function timed(send: () => Promise<void>): Promise<ScenarioRun> {
  const firstActivityMs = Date.now();
  await send();
  return { firstActivityMs };
}
