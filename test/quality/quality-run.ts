// The detection-quality run's environment: ClickHouse 18.16, a real Postfix +
// Dovecot and a real Exim, one probe on each and the collector, configured as
// the README sets them up with the defaults (only what the lab differs in is
// set: log and queue paths, the lab's SMTP ports (instead of 25, 465, 587),
// and which clients are the
// host itself — every lab client is a loopback address, so only 127.0.0.1
// stands for the host).
import { DEFAULT_SAMPLE_INTERVAL_MS, DEFAULT_SNAPSHOT_INTERVAL_MS } from "../../probe/config/probe-config.js";
import type { CliProcess } from "../setup/cli-process.js";
import { startClickHouseServer, type ClickHouseServer } from "../setup/clickhouse-server.js";
import { startEximLab, type EximLab } from "../setup/mta/exim-lab.js";
import { DEFAULT_LAB_USERS } from "../setup/mta/lab-common.js";
import { startPostfixLab, type PostfixLab } from "../setup/mta/postfix-lab.js";
import { makeLab, type Lab } from "../setup/spamtrace-lab.js";
import { startAll } from "../setup/start-all.js";
import { postfixPhpMailLog } from "./scenarios/spam-waves.js";
import { QUALITY_HOST_ID, type ObservedIncident, type QualityHost, type QualityLab, type Scenario } from "./scenario.js";

/** Everything a run started; stop() ends it all. */
export interface QualityEnvironment {
  lab: QualityLab;
  spamtrace: Lab;
  /** What the collector logged so far (JSON lines). */
  collectorLog(): string;
  /** Per probe: batches received, their span and the lag from a batch's creation to its receipt (ingest_batches). */
  ingestDigest(): Promise<string>;
  /** Every incident the collector stored so far. */
  incidents(): Promise<ObservedIncident[]>;
  stop(): Promise<void>;
}

const password = (account: string): string => `${account}-pass`;

/** Throws when two scenarios share a name or an actor (or one actor contains another's): culprits must be told apart. */
export function checkScenariosApart(scenarios: readonly Scenario[]): void {
  const names = new Set<string>();
  for (const s of scenarios) {
    if (names.has(s.name)) throw new Error(`two scenarios are named ${s.name}`);
    names.add(s.name);
  }
  for (const a of scenarios) {
    for (const b of scenarios) {
      if (a === b) continue;
      for (const x of a.actors) {
        const clash = b.actors.find((y) => y.includes(x));
        if (clash !== undefined) throw new Error(`scenario ${a.name}'s actor ${x} is also ${b.name}'s (${clash}): incidents could not be told apart`);
      }
    }
  }
}

function declared(scenarios: readonly Scenario[], host: QualityHost, pick: (s: Scenario) => Partial<Record<QualityHost, readonly string[]>> | undefined): string[] {
  return [...new Set(scenarios.flatMap((s) => pick(s)?.[host] ?? []))];
}

/** Starts the MTAs (with every declared account and permitted client), ClickHouse, the collector and both probes. */
export async function startQualityEnvironment(scenarios: readonly Scenario[]): Promise<QualityEnvironment> {
  checkScenariosApart(scenarios);
  const users = (host: QualityHost) => [
    ...DEFAULT_LAB_USERS,
    ...declared(scenarios, host, (s) => s.accounts)
      .filter((name) => !DEFAULT_LAB_USERS.some((u) => u.name === name))
      .map((name) => ({ name, password: password(name) })),
  ];
  const open = (host: QualityHost): boolean => scenarios.some((s) => s.openRelay?.includes(host));
  const pfHost = "127.0.0.46";
  const exHost = "127.0.0.47";
  const pfPermitted = declared(scenarios, "postfix", (s) => s.permittedClients);
  const exPermitted = declared(scenarios, "exim", (s) => s.permittedClients);
  let server: ClickHouseServer | undefined;
  let postfix: PostfixLab | undefined;
  let exim: EximLab | undefined;
  let spamtrace: Lab | undefined;
  let collector: CliProcess | undefined;
  const stop = async (): Promise<void> => {
    await spamtrace?.close();
    await Promise.all([postfix?.stop(), exim?.stop(), server?.stop()]);
  };
  try {
    [server, postfix, exim] = await startAll([
      startClickHouseServer(),
      startPostfixLab({
        labDir: `/var/lib/spamtrace-test/postfix-lab-quality-${process.pid}`,
        smtpHost: pfHost,
        webUser: "webuser2",
        users: users("postfix"),
        mynetworks: open("postfix") ? "0.0.0.0/0" : ["127.0.0.1/32", `${pfHost}/32`, ...pfPermitted.map((a) => `${a}/32`)].join(" "),
      }),
      startEximLab({
        labDir: `/var/lib/spamtrace-test/exim-lab-quality-${process.pid}`,
        smtpHost: exHost,
        users: users("exim"),
        relayFromHosts: open("exim") ? "*" : ["127.0.0.1", exHost, ...exPermitted].join(" : "),
      }),
    ] as const);
    spamtrace = await makeLab({
      store: server,
      probeHostIds: [QUALITY_HOST_ID.postfix, QUALITY_HOST_ID.exim],
      // The labs' ports stand for 25/587: other processes on this machine (other test runs) talking to port 25 are not the run's.
      ports: [postfix.smtpPort, postfix.submissionPort, exim.smtpPort],
      // makeLab samples fast for quick tests; this run keeps the probe's defaults.
      probeExtra: (hostId) => ({
        sockets: { sampleIntervalMs: DEFAULT_SAMPLE_INTERVAL_MS, snapshotIntervalMs: DEFAULT_SNAPSHOT_INTERVAL_MS },
        mta:
          hostId === QUALITY_HOST_ID.postfix
            ? { kind: "postfix", logPaths: [postfix!.logPath], queuePath: postfix!.queueDir, commandEnv: { MAIL_CONFIG: postfix!.configDir } }
            : { kind: "exim", logPaths: [exim!.logPath], binaryPaths: [exim!.eximPath], queuePath: exim!.spoolDir },
        // The maildrop is found under mta.queuePath; PHP's mail.log is where the lab's php.ini would put it.
        ...(hostId === QUALITY_HOST_ID.postfix ? { scripts: { phpMailLogs: [postfixPhpMailLog(postfix!)] } } : {}),
      }),
      collectorExtra: { detect: { trustedNetworks: ["127.0.0.1/32", "::1/128"] } },
    });
    collector = await spamtrace.startCollector();
    await Promise.all([spamtrace.startProbe(QUALITY_HOST_ID.postfix), spamtrace.startProbe(QUALITY_HOST_ID.exim)]);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const st = spamtrace;
  const watcher = watchIncidents(st);
  const stopAll = stop;
  return {
    lab: { postfix, exim, password },
    spamtrace: st,
    collectorLog: () => collector?.output() ?? "",
    ingestDigest: async () =>
      (
        await st.sql<{ host_id: string; batches: string; span_s: string; lag_p50_s: string; lag_max_s: string }>(
          `SELECT host_id, count() AS batches, toUInt32(max(created_at)) - toUInt32(min(created_at)) AS span_s,
  quantileExact(0.5)(toInt64(toUInt32(received_at)) - toInt64(toUInt32(created_at))) AS lag_p50_s, max(toInt64(toUInt32(received_at)) - toInt64(toUInt32(created_at))) AS lag_max_s
FROM ${st.database}.ingest_batches GROUP BY host_id ORDER BY host_id`,
        )
      )
        .map((r) => `${r.host_id}: ${r.batches} batches over ${r.span_s} s, created → received lag p50 ${r.lag_p50_s} s, max ${r.lag_max_s} s`)
        .join("; "),
    incidents: async () => {
      await watcher.poll();
      return [...watcher.seen.values()];
    },
    stop: async () => {
      await watcher.stop();
      await stopAll();
    },
  };
}

/**
 * Polls the alerts table every second and keeps each incident as first seen:
 * its creation time is the first version's updated_at, read before
 * ReplacingMergeTree merges fold the versions into the newest one.
 */
function watchIncidents(lab: Lab): { seen: Map<string, ObservedIncident>; poll(): Promise<void>; stop(): Promise<void> } {
  const seen = new Map<string, ObservedIncident>();
  const poll = async (): Promise<void> => {
    const rows = await lab.sql<{ incident_id: string; rule: string; scope: string; subject: string; hosts: string[]; summary: string; created_ms: string | number; updated_ms: string | number }>(
      `SELECT incident_id, argMax(rule, version) AS rule, argMax(scope, version) AS scope, argMax(subject, version) AS subject, argMax(hosts, version) AS hosts,
  argMax(summary, version) AS summary, min(updated_at_unix_ms) AS created_ms, max(updated_at_unix_ms) AS updated_ms
FROM ${lab.database}.alerts GROUP BY incident_id`,
    );
    for (const r of rows) {
      const prior = seen.get(r.incident_id);
      const openedAtMs = Math.min(prior?.openedAtMs ?? Infinity, Number(r.created_ms));
      // A summary not seen before: note when its version was written (polls are 1 s apart, before merges fold versions).
      const versions = prior?.versions ?? [];
      const withNew = versions.some((v) => v.summary === r.summary) ? versions : [...versions, { atMs: versions.length === 0 ? openedAtMs : Number(r.updated_ms), summary: r.summary }];
      // Keep the first sighting's creation time; take the newest summary and hosts.
      seen.set(r.incident_id, { rule: r.rule, scope: r.scope === "fleet" ? "fleet" : "host", subject: r.subject, hosts: r.hosts, summary: r.summary, openedAtMs, versions: withNew });
    }
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      await poll().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  return {
    seen,
    poll,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
