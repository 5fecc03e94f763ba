import { describe, expect, it } from "vitest";
import { fixtureLines, parseAll, TEST_NOW } from "../corpus.test-support.js";
import type { MailEvent } from "../events/mail-event.js";
import { MailLogParser, sourceOfProgram } from "./mail-log-parser.js";

/** Deterministic PRNG so a failing fuzz case can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

const SEEDS = [
  ...fixtureLines("postfix-submission-lab.log"),
  ...fixtureLines("postfix-amavis-lab.log"),
  ...fixtureLines("exim-mainlog-lab.log"),
  "Nov 29 07:20:00 mail sm-mta[4100]: 4ATK0001004100: AUTH=server, relay=[127.0.0.41], authid=petra@example.org, mech=LOGIN, bits=0",
  "Nov 29 07:20:00 mail sm-mta[4100]: 4ATK0001004100: from=<ceo@bank.example>, size=1422, class=0, nrcpts=1, msgid=<m2@laptop>, proto=ESMTPA, daemon=MTA, relay=[127.0.0.41]",
  "Nov 29 07:20:05 mail sm-mta[4101]: 4ATK0001004100: to=<a@b>,<c@d>, delay=00:00:05, mailer=esmtp, pri=1, relay=mx. [192.0.2.90], dsn=5.1.1, stat=User unknown",
  "Feb 25 03:01:10 kismet sm-mta[27713]: s1P819mk027713: ruleset=check_rcpt, arg1=<x@y>, relay=h [1.2.3.4], reject=550 5.7.1 <x@y>... Relaying denied.",
  "Nov 29 07:30:00 mail qmail: 1157520813.485077 info msg 53: bytes 246 from <me@domain> qp 20345 uid 666",
  "Nov 29 07:30:00 mail qmail: starting delivery 4: msg 53 to remote me@wherever",
  "Nov 29 07:30:00 mail qmail: delivery 4: success: 1.2.3.4_accepted_message./Remote_host_said:_250_OK/",
  "Nov 29 07:31:05 mail smtp_auth[5101]: FAILED: info@customer.example - password incorrect from (null)@unknown [127.0.0.42]",
  "Sep 14 07:21:42 iron vpopmail[939]: vchkpw-pop3: password fail keith1@xxxx.com:219.136.100.198",
  "Jun 13 16:30:54 platypus dovecot: imap-login: Disconnected (auth failed, 2 attempts): user=<bob>, method=PLAIN, rip=49.176.98.87, lip=1.2.3.4, TLS",
  "Nov 29 07:41:00 mail pop3d: LOGIN FAILED, user=info@customer.example, ip=[::ffff:127.0.0.41]",
  'Nov 29 07:42:05 mail smtpd[700]: 9f8e7d6c5b4a3f2e mta delivery evpid=1f2e3d4c00000001 from=<a@b> to=<c@d> rcpt=<-> source="127.0.0.25" relay="192.0.2.80" delay=3s result="Ok" stat="250 OK"',
];
const ALPHABET = " <>[]():;,=@.-_/\\\"'0123456789ABCDEFabcdefxyzQWE\t\u00e9\u{1F600}";

describe("MailLogParser", () => {
  it("never throws and counts every line: random garbage and mutated real lines", () => {
    const rand = rng(42);
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const mode = i % 3;
      if (mode === 0) {
        let s = "";
        const n = Math.floor(rand() * 200);
        for (let j = 0; j < n; j++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
        lines.push(s);
      } else {
        const seed = SEEDS[Math.floor(rand() * SEEDS.length)]!;
        const cut = Math.floor(rand() * seed.length);
        const junk = ALPHABET[Math.floor(rand() * ALPHABET.length)]!.repeat(Math.floor(rand() * 5));
        lines.push(mode === 1 ? seed.slice(0, cut) : seed.slice(0, cut) + junk + seed.slice(cut + 1));
      }
    }
    const parser = new MailLogParser(() => {}, { referenceUnixMs: () => TEST_NOW });
    for (const l of lines) expect(() => parser.parseLine(l)).not.toThrow();
    const s = parser.stats;
    expect(s.lines).toBe(lines.length);
    expect(s.recognised + s.unrecognised).toBe(lines.length);
  });

  it("stays linear on hostile long lines (no regex backtracking blow-up)", () => {
    const hostile = [
      `Nov 29 07:04:10 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from ${"a[".repeat(20_000)}: 554 5.7.1 ${"; from=<".repeat(5000)}`,
      `Nov 29 07:04:10 mail postfix/smtpd[1]: warning: ${"x[1.2.3.4]: SASL ".repeat(5000)} authentication failed: ${", sasl_username=".repeat(5000)}`,
      `2026-11-29 07:04:10 1vP5aB-00000A-Xy <= a@b ${"H=(((( [".repeat(10_000)} ${'T="'.repeat(5000)}`,
      `2026-11-29 07:04:10 ${"H=x [1.2.3.4] ".repeat(5000)} rejected RCPT ${"<".repeat(20_000)}`,
      `Nov 29 07:04:10 mail sm-mta[1]: ABCDEFGH1234: ruleset=check_rcpt, ${"relay=".repeat(20_000)}, reject=550 ${"5".repeat(20_000)}`,
      `Nov 29 07:04:10 mail qmail: ${"starting delivery 1: msg 2 to remote ".repeat(5000)}`,
      `Nov 29 07:04:10 mail dovecot: imap-login: ${"(auth failed, ".repeat(10_000)}`,
    ];
    const t = performance.now();
    const { recognised } = parseAll(hostile);
    expect(recognised.length).toBe(hostile.length);
    expect(performance.now() - t).toBeLessThan(2_000);
  });

  it("an explicit --mta runs that family and the IMAP/POP3 auth daemons only", () => {
    const lines = [
      "Nov 29 07:04:10 mail postfix/qmgr[1]: DD68719044E: removed",
      "2026-11-29 07:10:01 1vP5aB-00000A-Xy Completed",
      "Nov 29 07:04:10 mail sm-mta[4100]: 4ATK0001004100: done; delay=00:00:00, ntries=1",
      "Nov 29 07:04:10 mail dovecot: imap-login: Login: user=<a>, method=PLAIN, rip=1.2.3.4, lip=5.6.7.8",
    ];
    expect(parseAll(lines, { mta: "exim" }).recognised).toEqual([false, true, false, true]);
    expect(parseAll(lines, { mta: "postfix" }).recognised).toEqual([true, false, false, true]);
    expect(parseAll(lines).recognised).toEqual([true, true, true, true]);
  });

  it("counts recognised lines per source", () => {
    const events: MailEvent[] = [];
    const parser = new MailLogParser((e) => events.push(e), { referenceUnixMs: () => TEST_NOW });
    for (const l of fixtureLines("postfix-submission-lab.log")) parser.parseLine(l);
    for (const l of fixtureLines("exim-mainlog-lab.log")) parser.parseLine(l);
    expect(parser.stats).toEqual({
      lines: 41,
      recognised: 40,
      unrecognised: 1,
      by_source: { postfix: 28, exim: 12, sendmail: 0, qmail: 0, dovecot: 0, opensmtpd: 0, courier: 0 },
    });
  });

  const programs: [string, string | null][] = [
    ["postfix/submission/smtpd", "postfix"],
    ["postfix-incoming/smtpd", "postfix"],
    ["postfix-local", "postfix"],
    ["exim4", "exim"],
    ["sm-mta", "sendmail"],
    ["sm-msp-queue", "sendmail"],
    ["qmail-send", "qmail"],
    ["vpopmail", "qmail"],
    ["smtpd", "opensmtpd"],
    ["imap-login", "dovecot"],
    ["auth-worker(default)", "dovecot"],
    ["pop3d", "courier"],
    ["sshd", null],
    ["CRON", null],
  ];
  for (const [input, output] of programs) it(`sourceOfProgram(${input}) = ${output}`, () => expect(sourceOfProgram(input)).toBe(output));
});
