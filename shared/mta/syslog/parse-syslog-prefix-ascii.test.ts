import { describe, expect, it } from "vitest";
import { LogClock } from "../time/log-clock.js";
import { AsciiPrefixReader } from "./parse-syslog-prefix-ascii.js";
import { newLogLinePrefix, parseSyslogPrefix } from "./parse-syslog-prefix.js";

const NOW = new Date(2027, 0, 10).getTime();

/** The line at an offset inside a chunk, with another line after it (the reader must stop at `end`). */
function read(reader: AsciiPrefixReader, line: string, clock: LogClock) {
  const text = `x y z\n${line}\nNov 29 07:04:11 next postfix/qmgr[9]: tail`;
  const out = newLogLinePrefix();
  const ok = reader.read(text, Buffer.from(text, "latin1"), 6, 6 + line.length, clock, out);
  return ok ? out : null;
}

describe("AsciiPrefixReader", () => {
  const clock = new LogClock(() => NOW);

  const taken = [
    "Nov 29 07:04:10 mail postfix/submission/smtpd[13961]: DD68719044E: client=unknown[127.0.0.16]",
    "Dec  9 23:59:59 mx sm-mta[4100]: x",
    "Jan 2 00:00:01 mx dovecot: imap-login: Login: user=<a>",
    "Feb 28 10:00:00 h postfix/qmgr[1]: ",
    "Mar 31 10:00:00 h exim[123456789012345]: 15 digits of pid",
    "Sep  1 10:00:00 h prog[x[12]: bracket inside the tag",
    "2026-11-29 07:04:10 1vP5aB-00000A-Xy <= a@b.example H=(helo) [192.0.2.1] P=esmtp S=1",
    "2026-02-28 23:59:60 leap second, Exim mainlog",
    "2026-11-29 07:04:10 ",
  ];
  for (const line of taken) {
    it(`takes the common shape and agrees with parseSyslogPrefix: ${line.slice(0, 50)}`, () => {
      const expected = newLogLinePrefix();
      expect(parseSyslogPrefix(line, clock, expected)).toBe(true);
      expect(read(new AsciiPrefixReader(), line, clock)).toEqual(expected);
    });
  }

  const declined = [
    "Jan 2 00:00:01.250 mx dovecot: fraction",
    "Jun 17 14:37:39 <mail.notice> robin sm-mta[2794]: priority tag",
    "Jun 17 14:37:39 robin sm-mta[2794]: [ID 197553 mail.info] 55HIbcGI002794: Solaris tag",
    "Jan 29 09:33:58 pop3-login: Info: no host field",
    "2024-08-29T01:08:59.764590+02:00 machine postfix/smtpd[1938053]: RFC 3339",
    "2026-11-29 07:04:10.123 Exim mainlog with a fraction",
    "2026-11-29 07:04:10 +0100 Exim mainlog with a zone",
    "2026-11-29 07:04:10 -0500 Exim mainlog with a zone",
    "2026-13-29 07:04:10 bad month",
    "2026-11-29 07:04:10",
    "2026-11-29 07-04-10 bad time",
    "Nov 29 07:04:10 mail postfix/smtpd[]: empty pid",
    "Nov 29 07:04:10 mail postfix/smtpd[1234567890123456]: 16-digit pid",
    "Nov 29 07:04:10 mail postfix/smtpd[12a]: letters in the pid",
    "Nov 29 07:04:10 mail postfix/smtpd:",
    "Nov 29 7:04:10 mail postfix/smtpd[1]: bad time",
    "Nov 32 07:04:10 mail postfix/smtpd[1]: bad day",
    "Nov 29 24:04:10 mail postfix/smtpd[1]: bad hour",
    "nov 29 07:04:10 mail postfix/smtpd[1]: lower-case month",
    "Nov 29 07:04:10 mail [1]: no name",
    "Nov 29 07:04:10",
    "",
  ];
  for (const line of declined) {
    it(`declines, leaving the line to parseSyslogPrefix: ${JSON.stringify(line.slice(0, 50))}`, () => {
      expect(read(new AsciiPrefixReader(), line, clock)).toBeNull();
    });
  }

  it("leaves host null when told no caller reads it, the rest unchanged", () => {
    const line = "Nov 29 07:04:10 mail postfix/smtpd[1]: connect from x";
    const withHost = read(new AsciiPrefixReader(), line, clock);
    expect(read(new AsciiPrefixReader({ hosts: false }), line, clock)).toEqual({ ...withHost, host: null });
  });

  it("hands out one string per host and program (cached), equal to a fresh slice", () => {
    const reader = new AsciiPrefixReader();
    const a = read(reader, "Nov 29 07:04:10 mail postfix/smtpd[1]: a", clock);
    const b = read(reader, "Nov 29 07:04:11 mail postfix/smtpd[2]: b", clock);
    const c = read(reader, "Nov 29 07:04:12 mail postfix/smtpe[3]: c", clock);
    expect(a?.program).toBe("postfix/smtpd");
    expect(Object.is(a?.program, b?.program)).toBe(true);
    expect(c?.program).toBe("postfix/smtpe");
    expect(b?.message).toBe("b");
  });
});
