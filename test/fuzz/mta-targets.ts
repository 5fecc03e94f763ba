import { CourierLineParser } from "../../shared/mta/courier/parse-courier-line.js";
import { DovecotLineParser } from "../../shared/mta/dovecot/parse-dovecot-line.js";
import type { MailEvent } from "../../shared/mta/events/mail-event.js";
import type { MailLogSource, MtaSelection } from "../../shared/mta/mta-kinds.js";
import { EximLineParser } from "../../shared/mta/exim/parse-exim-line.js";
import { OpensmtpdLineParser } from "../../shared/mta/opensmtpd/parse-opensmtpd-line.js";
import type { FamilyLineParser } from "../../shared/mta/parse/family-line-parser.js";
import { MailLogParser } from "../../shared/mta/parse/mail-log-parser.js";
import { RelayContinuations } from "../../shared/mta/parse/relay-continuations.js";
import { PostfixLineParser } from "../../shared/mta/postfix/parse-postfix-line.js";
import { QmailLineParser } from "../../shared/mta/qmail/parse-qmail-line.js";
import { SendmailLineParser } from "../../shared/mta/sendmail/parse-sendmail-line.js";
import { newLogLinePrefix, parseSyslogPrefix, type LogLinePrefix } from "../../shared/mta/syslog/parse-syslog-prefix.js";
import { LogClock } from "../../shared/mta/time/log-clock.js";
import { checkMailEvent } from "./check-mail-event.js";
import { check, type FuzzTarget } from "./fuzz-target.js";
import { fuzzLine, type SeedPool } from "./fuzz-inputs.js";

/** "Now" of every MTA session: year-less lines resolve to 2026. */
export const REFERENCE_UNIX_MS = Date.UTC(2027, 0, 1);

/** Correlation state is kept small so eviction runs too. */
const MAX_TRACKED = 2_000;

const ALWAYS_ON: readonly MailLogSource[] = ["dovecot", "courier"];

/**
 * MailLogParser with one MTA selection, fed lines of all software (and, for
 * a family, mostly that family's own): the stats must add up and every event
 * must be well-formed.
 */
export function mailLogTarget(mta: MtaSelection, seeds: SeedPool, ownSeeds: SeedPool): FuzzTarget<string> {
  return {
    name: `mail-log:${mta}`,
    weight: mta === "auto" ? 2 : 1,
    timed: "line",
    generate: (rng) => fuzzLine(rng, ownSeeds.length > 0 && rng.chance(0.7) ? ownSeeds : seeds),
    session() {
      const events: MailEvent[] = [];
      const parser = new MailLogParser((e) => events.push(e), { mta, referenceUnixMs: () => REFERENCE_UNIX_MS, maxTrackedMessages: MAX_TRACKED });
      let lines = 0;
      let recognised = 0;
      let emitted = 0;
      return {
        feed(line) {
          events.length = 0;
          const ok = parser.parseLine(line);
          lines++;
          check(typeof ok === "boolean", "parseLine must return a boolean");
          if (ok) recognised++;
          // An event from an unrecognised line means a family parser threw after emitting (MailLogParser swallows it).
          check(ok || events.length === 0, () => `${events.length} event(s) emitted for a line counted as unrecognised`);
          for (const e of events) {
            checkMailEvent(e, line);
            check(mta === "auto" || e.source === mta || ALWAYS_ON.includes(e.source), () => `event from ${e.source} with mta=${mta}`);
          }
          emitted += events.length;
        },
        finish() {
          const s = parser.stats;
          check(s.lines === lines, () => `stats.lines ${s.lines} != ${lines} lines fed`);
          check(s.recognised === recognised, () => `stats.recognised ${s.recognised} != ${recognised} lines parseLine accepted`);
          check(s.recognised + s.unrecognised === s.lines, "recognised + unrecognised != lines");
          const bySource = Object.values(s.by_source).reduce((a, b) => a + b, 0);
          check(bySource === s.recognised, () => `sum of by_source ${bySource} != recognised ${s.recognised}`);
          return { unit: "lines", units: lines, recognised, notes: `${emitted} events` };
        },
      };
    },
  };
}

/** Program tags the family parsers route on; a message is sometimes re-tagged so each parser sees every other family's text. */
const PROGRAMS = [
  "postfix/smtpd", "postfix/submission/smtpd", "postfix/cleanup", "postfix/qmgr", "postfix/pickup", "postfix/bounce", "postfix/postscreen", "postfix/smtp",
  "postfix/local", "postfix-local", "postfix/anvil", "exim", "exim4", "sendmail", "sm-mta", "qmail", "qmail-send", "rblsmtpd", "vpopmail", "smtp_auth",
  "dovecot", "imap-login", "pop3-login", "auth", "smtpd", "imapd", "pop3d-ssl", "courier-imapd", "Info",
];

/** A line plus a program to tag it with when its prefix does not parse (or, sometimes, instead of its own). */
export interface FamilyInput {
  line: string;
  program: string;
  retag: boolean;
}

/**
 * Every family line parser called directly with every line: MailLogParser
 * catches what they throw (counting the line unrecognised), so their own
 * "never throws" promise is checked here.
 */
export function familyParsersTarget(seeds: SeedPool): FuzzTarget<FamilyInput> {
  return {
    name: "family-parsers",
    weight: 1,
    timed: "line",
    generate: (rng) => ({ line: fuzzLine(rng, seeds), program: rng.pick(PROGRAMS), retag: rng.chance(0.25) }),
    text: (input) => input.line,
    session() {
      const continuations = new RelayContinuations();
      const max = { maxTrackedMessages: MAX_TRACKED, continuations };
      const parsers: Array<[string, FamilyLineParser]> = [
        ["postfix", new PostfixLineParser(max)], ["exim", new EximLineParser(max)], ["sendmail", new SendmailLineParser(max)], ["qmail", new QmailLineParser(max)],
        ["dovecot", new DovecotLineParser()], ["opensmtpd", new OpensmtpdLineParser(max)], ["courier", new CourierLineParser()],
      ];
      const clock = new LogClock(() => REFERENCE_UNIX_MS);
      const prefix = newLogLinePrefix();
      let inputs = 0;
      let recognised = 0;
      return {
        feed({ line, program, retag }) {
          inputs++;
          if (!parseSyslogPrefix(line, clock, prefix)) Object.assign(prefix, { ts_unix_ms: 0, format: "bsd", host: null, program, pid: null, message: line });
          else if (retag) prefix.program = program;
          let any = false;
          for (const [family, parser] of parsers) {
            const events: MailEvent[] = [];
            const p: LogLinePrefix = { ...prefix };
            const ok = parser.parse(p, line, (e) => events.push(e), family === "postfix" ? parser.programCode?.(p.program ?? "") : undefined);
            check(typeof ok === "boolean", `${family}.parse must return a boolean`);
            check(ok || events.length === 0, () => `${family} emitted ${events.length} event(s) for a line it did not recognise`);
            for (const e of events) checkMailEvent(e, line);
            any ||= ok;
          }
          if (any) recognised++;
        },
        finish: () => ({ unit: "lines", units: inputs, recognised, notes: "recognised by any of 7 parsers" }),
      };
    },
  };
}

/** parseSyslogPrefix alone: when it accepts a line, the fields must describe that line. */
export function syslogPrefixTarget(seeds: SeedPool): FuzzTarget<string> {
  return {
    name: "syslog-prefix",
    weight: 1,
    timed: "line",
    generate: (rng) => fuzzLine(rng, seeds),
    session() {
      const clock = new LogClock(() => REFERENCE_UNIX_MS);
      const out = newLogLinePrefix();
      let inputs = 0;
      let recognised = 0;
      return {
        feed(line) {
          inputs++;
          const ok = parseSyslogPrefix(line, clock, out);
          check(typeof ok === "boolean", "parseSyslogPrefix must return a boolean");
          if (!ok) return;
          recognised++;
          check(Number.isFinite(out.ts_unix_ms), () => `ts_unix_ms ${out.ts_unix_ms} must be finite`);
          check(line.endsWith(out.message), "message must be the end of the line");
          const withProgram = out.format === "bsd" || out.format === "rfc3339";
          check(withProgram === (out.program !== null), () => `format ${out.format} with program ${String(out.program)}`);
          if (out.program !== null) check(out.program.length > 0 && !out.program.includes(" "), () => `program ${JSON.stringify(out.program)} must be one non-empty word`);
          if (out.host !== null) check(out.host.length > 0 && !out.host.includes(" "), () => `host ${JSON.stringify(out.host)} must be one non-empty word`);
          if (out.pid !== null) check(Number.isInteger(out.pid) && out.pid >= 0, () => `pid ${String(out.pid)} must be an integer >= 0`);
        },
        finish: () => ({ unit: "lines", units: inputs, recognised }),
      };
    },
  };
}
