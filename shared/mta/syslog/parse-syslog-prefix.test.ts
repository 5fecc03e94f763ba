import { describe, expect, it } from "vitest";
import { LogClock } from "../time/log-clock.js";
import { newLogLinePrefix, parseSyslogPrefix, type LogLinePrefix } from "./parse-syslog-prefix.js";

const NOW = new Date(2027, 0, 10).getTime();
const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number => new Date(y, mo - 1, d, h, mi, s, ms).getTime();

const cases: { name: string; input: string; output: LogLinePrefix | null }[] = [
  {
    name: "BSD syslog with pid and a syslog_name path",
    input: "Nov 29 07:04:10 mail postfix/submission/smtpd[13961]: DD68719044E: client=unknown[127.0.0.16]",
    output: { ts_unix_ms: local(2026, 11, 29, 7, 4, 10), format: "bsd", host: "mail", program: "postfix/submission/smtpd", pid: 13961, message: "DD68719044E: client=unknown[127.0.0.16]" },
  },
  {
    name: "space-padded day, December line read in January belongs to last year",
    input: "Dec  9 23:59:59 mx sm-mta[4100]: x",
    output: { ts_unix_ms: local(2026, 12, 9, 23, 59, 59), format: "bsd", host: "mx", program: "sm-mta", pid: 4100, message: "x" },
  },
  {
    name: "single-digit day without padding, fractional seconds, no pid",
    input: "Jan 2 00:00:01.250 mx dovecot: imap-login: Login: user=<a>",
    output: { ts_unix_ms: local(2027, 1, 2, 0, 0, 1, 250), format: "bsd", host: "mx", program: "dovecot", pid: null, message: "imap-login: Login: user=<a>" },
  },
  {
    name: "priority tag and Solaris [ID] tag",
    input: "Jun 17 14:37:39 <mail.notice> robin sm-mta[2794]: [ID 197553 mail.info] 55HIbcGI002794: x",
    output: { ts_unix_ms: local(2026, 6, 17, 14, 37, 39), format: "bsd", host: "robin", program: "sm-mta", pid: 2794, message: "55HIbcGI002794: x" },
  },
  {
    name: "no host field (Dovecot's own log file)",
    input: "Jan 29 09:33:58 pop3-login: Info: Aborted login",
    output: { ts_unix_ms: local(2026, 1, 29, 9, 33, 58), format: "bsd", host: null, program: "pop3-login", pid: null, message: "Info: Aborted login" },
  },
  {
    name: "RFC 3339 with microseconds and offset",
    input: "2024-08-29T01:08:59.764590+02:00 machine postfix/smtpd[1938053]: NOQUEUE: reject: x",
    output: { ts_unix_ms: Date.UTC(2024, 7, 28, 23, 8, 59, 764), format: "rfc3339", host: "machine", program: "postfix/smtpd", pid: 1938053, message: "NOQUEUE: reject: x" },
  },
  {
    name: "RFC 3339 with Z",
    input: "2022-04-14T00:36:03.150Z mailhub postfix/smtps/smtpd[30543]: warning: x",
    output: { ts_unix_ms: Date.UTC(2022, 3, 14, 0, 36, 3, 150), format: "rfc3339", host: "mailhub", program: "postfix/smtps/smtpd", pid: 30543, message: "warning: x" },
  },
  {
    name: "Exim mainlog, local time, pid field kept in the message",
    input: "2026-11-29 07:04:10 [2101] 1vP5aB-00000A-Xy <= a@b",
    output: { ts_unix_ms: local(2026, 11, 29, 7, 4, 10), format: "iso", host: null, program: null, pid: null, message: "[2101] 1vP5aB-00000A-Xy <= a@b" },
  },
  {
    name: "Exim mainlog with milliseconds and log_timezone",
    input: "2026-11-29 07:04:10.345 +0100 1vP5aB-00000A-Xy Completed",
    output: { ts_unix_ms: Date.UTC(2026, 10, 29, 6, 4, 10, 345), format: "iso", host: null, program: null, pid: null, message: "1vP5aB-00000A-Xy Completed" },
  },
  {
    name: "multilog TAI64N",
    input: "@400000004c91b044077a9e94 new msg 53",
    output: { ts_unix_ms: 1284616250125, format: "tai64n", host: null, program: null, pid: null, message: "new msg 53" },
  },
  { name: "bad month", input: "Foo 29 07:04:10 mail postfix/smtpd[1]: x", output: null },
  { name: "no program tag", input: "Nov 29 07:04:10 mail just some text", output: null },
  { name: "bad time", input: "Nov 29 7:04:10 mail postfix/smtpd[1]: x", output: null },
  { name: "RFC 3339 without zone", input: "2024-08-29T01:08:59 host prog: x", output: null },
  { name: "empty", input: "", output: null },
];

describe("parseSyslogPrefix", () => {
  const clock = new LogClock(() => NOW);
  for (const c of cases) {
    it(c.name, () => {
      const out = newLogLinePrefix();
      const ok = parseSyslogPrefix(c.input, clock, out);
      if (c.output === null) expect(ok).toBe(false);
      else {
        expect(ok).toBe(true);
        expect(out).toEqual(c.output);
      }
    });
  }
});
