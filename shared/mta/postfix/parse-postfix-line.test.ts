import { describe, expect, it } from "vitest";
import { corpusAvailable, corpusLine, fixtureLines, local, parseAll } from "../corpus.test-support.js";
import type { DeliveryEvent, MailEvent, MessageOrigin } from "../events/mail-event.js";
import { postfixQueueIdLength } from "./parse-postfix-line.js";

const origin = (o: Partial<MessageOrigin> & { queue_id: string }): MessageOrigin => ({
  sender: null, client_ip: null, client_host: null, sasl_user: null, local_user: null, local_uid: null, script: null, message_id: null, ...o,
});

interface Case {
  name: string;
  corpus?: boolean;
  input: () => string[];
  recognised?: boolean[];
  output: (input: string[]) => MailEvent[];
}

const lab = (): string[] => fixtureLines("postfix-submission-lab.log");
const petraMsg = origin({ queue_id: "DD68719044E", sender: "ceo@bank.example", client_ip: "127.0.0.16", client_host: "unknown", sasl_user: "petra@example.org", message_id: "20261129070410.DD68719044E@mail.example.org" });
const webMsg = origin({ queue_id: "1A2B3C4D5E", sender: "www-data@mail.example.org", local_uid: 33, script: "33:mailer.php", message_id: "abc123@mail.example.org" });
const bounceMsg = origin({ queue_id: "9F8E7D6C5B", sender: "", message_id: "20261129070601.9F8E7D6C5B@mail.example.org" });
const refused = "connect to 127.0.0.1[127.0.0.1]:2599: Connection refused";

const cases: Case[] = [
  {
    name: "lab: maillog_file submission with SASL login, deferrals, the retry's qmgr line not counted again",
    input: () => [...lab().slice(0, 8), ...lab().slice(25, 28)],
    output: (l) => [
      { type: "auth_success", ts_unix_ms: local(2026, 11, 29, 7, 4, 10), source: "postfix", raw: l[1]!, client_ip: "127.0.0.16", username: "petra@example.org", mechanism: "LOGIN", service: "submission", reason: null, attempts: 1 },
      { type: "received", ts_unix_ms: local(2026, 11, 29, 7, 4, 10), source: "postfix", raw: l[3]!, ...petraMsg, null_sender: false, size_bytes: 1422, nrcpt: 3, sasl_method: "LOGIN", protocol: null, bounce_of: null, recipients: [] },
      { type: "deferred", ts_unix_ms: local(2026, 11, 29, 7, 4, 11), source: "postfix", raw: l[5]!, queue_id: "DD68719044E", recipient: "a@victim1.example", orig_recipient: null, relay: "none", dsn: "4.4.1", status_text: refused, origin: petraMsg },
      { type: "deferred", ts_unix_ms: local(2026, 11, 29, 7, 4, 11), source: "postfix", raw: l[6]!, queue_id: "DD68719044E", recipient: "b@victim2.example", orig_recipient: null, relay: "none", dsn: "4.4.1", status_text: refused, origin: petraMsg },
      { type: "delivered", ts_unix_ms: local(2026, 11, 29, 7, 4, 11), source: "postfix", raw: l[7]!, queue_id: "DD68719044E", recipient: "c@victim2.example", orig_recipient: null, relay: "127.0.0.1[127.0.0.1]:2525", dsn: "2.0.0", status_text: "250 2.0.0 Ok: queued as 4F1E2190450", origin: petraMsg },
      { type: "deferred", ts_unix_ms: local(2026, 11, 29, 7, 9, 11), source: "postfix", raw: l[9]!, queue_id: "DD68719044E", recipient: "a@victim1.example", orig_recipient: null, relay: "none", dsn: "4.4.1", status_text: refused, origin: petraMsg },
      { type: "delivered", ts_unix_ms: local(2026, 11, 29, 7, 9, 11), source: "postfix", raw: l[10]!, queue_id: "DD68719044E", recipient: "b@victim2.example", orig_recipient: null, relay: "127.0.0.1[127.0.0.1]:2525", dsn: "2.0.0", status_text: "250 2.0.0 Ok: queued as 5A6B7C8D9E0", origin: petraMsg },
    ],
  },
  {
    name: "lab: the two forms of SASL failure behind Dovecot (535 with user, 454 with sasl_username=(unavailable))",
    input: () => lab().slice(8, 10),
    output: (l) => [
      { type: "auth_failure", ts_unix_ms: local(2026, 11, 29, 7, 5, 1), source: "postfix", raw: l[0]!, client_ip: "127.0.0.41", username: "petra@example.org", mechanism: "LOGIN", service: "submission", reason: "(reason unavailable)", attempts: 1 },
      { type: "auth_failure", ts_unix_ms: local(2026, 11, 29, 7, 5, 20), source: "postfix", raw: l[1]!, client_ip: "127.0.0.41", username: null, mechanism: "PLAIN", service: "submission", reason: "Connection lost to authentication server", attempts: 1 },
    ],
  },
  {
    name: "lab: pickup uid + X-PHP-Originating-Script header, bounce, and its null-sender notification",
    input: () => lab().slice(10, 21),
    output: (l) => [
      { type: "received", ts_unix_ms: local(2026, 11, 29, 7, 6, 0), source: "postfix", raw: l[3]!, ...webMsg, null_sender: false, size_bytes: 900, nrcpt: 1, sasl_method: null, protocol: null, bounce_of: null, recipients: [] },
      { type: "bounced", ts_unix_ms: local(2026, 11, 29, 7, 6, 1), source: "postfix", raw: l[4]!, queue_id: "1A2B3C4D5E", recipient: "x@victim3.example", orig_recipient: null, relay: "mx.victim3.example[192.0.2.25]:25", dsn: "5.1.1", status_text: "host mx.victim3.example[192.0.2.25] said: 550 5.1.1 <x@victim3.example>: Recipient address rejected: User unknown (in reply to RCPT TO command)", origin: webMsg },
      { type: "received", ts_unix_ms: local(2026, 11, 29, 7, 6, 1), source: "postfix", raw: l[7]!, ...bounceMsg, null_sender: true, size_bytes: 2900, nrcpt: 1, sasl_method: null, protocol: null, bounce_of: "1A2B3C4D5E", recipients: [] },
      { type: "delivered", ts_unix_ms: local(2026, 11, 29, 7, 6, 2), source: "postfix", raw: l[9]!, queue_id: "9F8E7D6C5B", recipient: "www-data@mail.example.org", orig_recipient: null, relay: "local", dsn: "2.0.0", status_text: "delivered to mailbox", origin: bounceMsg },
    ],
  },
  {
    name: "lab: relay denied to an unauthenticated client; connect/disconnect recognised without events; garbage unrecognised",
    input: () => lab().slice(21, 25).concat(lab().slice(28)),
    recognised: [true, true, true, true, false],
    output: (l) => [1, 2].map((i) => ({
      type: "rejected" as const, ts_unix_ms: local(2026, 11, 29, 7, 7, 0), source: "postfix" as const, raw: l[i]!, queue_id: null, stage: "rcpt" as const, reason_class: "relay_denied" as const,
      reason: `<r${i}@${i === 1 ? "outside" : "other"}.example>: Relay access denied`, smtp_code: "454", dsn: "4.7.1", client_ip: "127.0.0.77", client_host: "unknown",
      sender: "spammer@forged.example", recipient: `r${i}@${i === 1 ? "outside" : "other"}.example`, helo: "spam-host", sasl_user: null,
    })),
  },
  {
    name: "lab: amavis re-injection on 127.0.0.1 continues the SASL message: no second received, no hand-off delivery, the real bounce is petra's",
    input: () => fixtureLines("postfix-amavis-lab.log"),
    output: (l) => {
      const first = origin({ queue_id: "3C4D5E6F70", sender: "ceo@bank.example", client_ip: "127.0.0.16", client_host: "unknown", sasl_user: "petra@example.org", message_id: "spam-1@laptop" });
      const second = { ...first, queue_id: "8A9B0C1D2E" };
      return [
        { type: "auth_success", ts_unix_ms: local(2026, 11, 29, 8, 0, 0), source: "postfix", raw: l[0]!, client_ip: "127.0.0.16", username: "petra@example.org", mechanism: "PLAIN", service: "submission", reason: null, attempts: 1 },
        { type: "received", ts_unix_ms: local(2026, 11, 29, 8, 0, 0), source: "postfix", raw: l[2]!, ...first, null_sender: false, size_bytes: 1500, nrcpt: 1, sasl_method: "PLAIN", protocol: null, bounce_of: null, recipients: [] },
        {
          type: "bounced", ts_unix_ms: local(2026, 11, 29, 8, 0, 2), source: "postfix", raw: l[9]!, queue_id: "8A9B0C1D2E", recipient: "v9@far.example", orig_recipient: null, relay: "mx.far.example[192.0.2.80]:25", dsn: "5.7.1",
          status_text: "host mx.far.example[192.0.2.80] said: 550 5.7.1 Message rejected as spam (in reply to end of DATA command)", origin: second,
        },
      ];
    },
  },
  {
    name: "corpus gomaillex: Sendmail MSP submission by root handed to Postfix on 127.0.0.1 counts once, delivery attributed to root",
    corpus: true,
    input: () => [1, 2, 3, 4, 5, 6, 7, 8].map((n) => corpusLine("sendmail/gomaillex-RHL058-2014-sendmail-msp-plus-postfix.log", n)),
    output: (l) => {
      const msp = origin({ queue_id: "s5T68YTv003569", sender: "no-reply@grooveshark.com", local_user: "root", message_id: "1404025803.53afbbcb667b9@swift.generated" });
      return [
        { type: "received", ts_unix_ms: local(2026, 6, 29, 3, 10, 3), source: "sendmail", raw: l[0]!, ...msp, null_sender: false, size_bytes: 25274, nrcpt: 1, sasl_method: null, protocol: "SMTP", bounce_of: null, recipients: [] },
        {
          type: "delivered", ts_unix_ms: local(2026, 6, 29, 3, 10, 4), source: "postfix", raw: l[6]!, queue_id: "C05A07C2CA0", recipient: "t.k.custom3@gmail.com", orig_recipient: null, relay: "gmail-smtp-in.l.google.com[173.194.77.27]:25", dsn: "2.0.0",
          status_text: "250 2.0.0 OK 1404025804 lb8si19749612oeb.35 - gsmtp", origin: { ...msp, queue_id: "C05A07C2CA0", sender: "no-reply@grooveshark.com" },
        },
      ];
    },
  },
  {
    name: "corpus digineo: submission over IPv6 with SASL PLAIN, TLS note, delivery to Gmail, removed",
    corpus: true,
    input: () => [46, 47, 48, 49, 50, 51, 52, 53].map((n) => corpusLine("postfix/digineo-postfix-exporter-testdata.log", n)),
    output: (l) => {
      const o = origin({ queue_id: "838FC8A5F", sender: "out@example.org", client_ip: "fe80::1:2:3:4", client_host: "unknown", sasl_user: "out@example.org", message_id: "341d97ec-c42a-6b0d-a49d-00d44a4f9753@example.org" });
      return [
        { type: "auth_success", ts_unix_ms: local(2026, 9, 23, 15, 57, 40), source: "postfix", raw: l[1]!, client_ip: "fe80::1:2:3:4", username: "out@example.org", mechanism: "PLAIN", service: "submission", reason: null, attempts: 1 },
        { type: "received", ts_unix_ms: local(2026, 9, 23, 15, 57, 41), source: "postfix", raw: l[3]!, ...o, null_sender: false, size_bytes: 939, nrcpt: 1, sasl_method: "PLAIN", protocol: null, bounce_of: null, recipients: [] },
        { type: "delivered", ts_unix_ms: local(2026, 9, 23, 15, 57, 42), source: "postfix", raw: l[6]!, queue_id: "838FC8A5F", recipient: "someone@example.com", orig_recipient: null, relay: "gmail-smtp-in.l.google.com[173.194.76.27]:25", dsn: "2.0.0", status_text: "250 2.0.0 OK  1632412662 aaaaaaaaaaaaaaa.511 - gsmtp", origin: o },
      ];
    },
  },
  {
    name: "corpus: RFC 3339 relay denial, VRFY without from=, milter-reject at DATA, long queue id BDAT, postscreen RBL with commas",
    corpus: true,
    input: () => [corpusLine("postfix/crowdsec-postfix-logs.log", 4), ...[7, 17, 18, 26].map((n) => corpusLine("postfix/fail2ban-postfix.log", n))],
    output: (l) => {
      const r = { type: "rejected" as const, source: "postfix" as const, sasl_user: null };
      return [
        { ...r, ts_unix_ms: Date.UTC(2024, 7, 25, 12, 31, 56, 154), raw: l[0]!, queue_id: null, stage: "rcpt", reason_class: "relay_denied", reason: "<spammer@domain.tld>: Relay access denied", smtp_code: "454", dsn: "4.7.1", client_ip: "192.168.1.1", client_host: "unknown", sender: "spammer@domain.tld", recipient: "spammer@domain.tld", helo: "WIN-CLJ1B0GQ6JP" },
        { ...r, ts_unix_ms: local(2026, 8, 10, 10, 55, 38), raw: l[1]!, queue_id: null, stage: "rcpt", reason_class: "unknown_user", reason: "Recipient address rejected: User unknown in local recipient tab", smtp_code: "550", dsn: "5.1.1", client_ip: "72.53.132.234", client_host: "72-53-132-234.cpe.distributel.net", sender: null, recipient: null, helo: null },
        { ...r, ts_unix_ms: local(2026, 3, 7, 2, 9, 33), raw: l[2]!, queue_id: "1D8CC1CA0A7F", stage: "data", reason_class: "policy", reason: "Command rejected", smtp_code: "550", dsn: "5.7.1", client_ip: "192.0.2.151", client_host: "66-220-155-151.mail-mail.facebook.com", sender: "security@mail.example.com", recipient: "hostmaster@example.com", helo: "192-0-2-151.mail-mail.example.com" },
        { ...r, ts_unix_ms: local(2026, 3, 11, 23, 27, 54), raw: l[3]!, queue_id: "44JCRG5tYPzCqt2", stage: "data", reason_class: "policy", reason: "<DATA>: Data command rejected: Multi-recipient bounce", smtp_code: "550", dsn: "5.5.3", client_ip: "192.0.2.109", client_host: "signing-milter.example.com", sender: "", recipient: "some@example.com", helo: "domain.tld" },
        { ...r, ts_unix_ms: local(2026, 5, 5, 15, 51, 11), raw: l[4]!, queue_id: null, stage: "rcpt", reason_class: "rbl", reason: "Service unavailable; client [216.245.194.173] blocked using rbl.example.com", smtp_code: "550", dsn: "5.7.1", client_ip: "216.245.194.173", client_host: null, sender: "spammer@example.com", recipient: "goodguy@example.com", helo: "badguy.example.com" },
      ] as MailEvent[];
    },
  },
  {
    name: "corpus: SASL failure with client port, with sasl_username=, on smtps; Spamhaus reject; Solaris [ID] tag",
    corpus: true,
    input: () => [
      corpusLine("postfix/fail2ban-postfix.log", 42),
      corpusLine("postfix/fail2ban-postfix.log", 47),
      corpusLine("postfix/crowdsec-postfix-honeypot-users.log", 1),
      corpusLine("postfix/kdent-conch-2015.log", 12),
      corpusLine("postfix/tobinjt-aso-relay.cs.tcd.ie-2007.log", 1473),
    ],
    output: (l) => [
      { type: "auth_failure", ts_unix_ms: local(2026, 8, 4, 16, 47, 52), source: "postfix", raw: l[0]!, client_ip: "192.0.2.237", username: null, mechanism: "LOGIN", service: "smtp", reason: "authentication failure", attempts: 1 },
      { type: "auth_failure", ts_unix_ms: local(2026, 11, 4, 9, 11, 1), source: "postfix", raw: l[1]!, client_ip: "192.0.2.152", username: "admin", mechanism: "LOGIN", service: "smtp", reason: "(reason unavailable)", attempts: 1 },
      { type: "auth_failure", ts_unix_ms: local(2026, 5, 6, 9, 25, 41), source: "postfix", raw: l[2]!, client_ip: "203.0.113.10", username: "postmaster@example.org", mechanism: "LOGIN", service: "smtps", reason: "(reason unavailable)", attempts: 1 },
      { type: "rejected", ts_unix_ms: local(2026, 11, 1, 2, 24, 30), source: "postfix", raw: l[3]!, queue_id: null, stage: "rcpt", reason_class: "rbl", reason: "Service unavailable; Client host [204.44.122.130] blocked using zen.spamhaus.org; http://www.spamhaus.org/sbl/query/SBLCSS", smtp_code: "554", dsn: "5.7.1", client_ip: "204.44.122.130", client_host: "unknown", sender: "2020visionmethod@viosonsystm.org", recipient: "riley@seaglass.com", helo: "sceptically.viosonsystm.org", sasl_user: null },
      { type: "rejected", ts_unix_ms: local(2026, 3, 8, 20, 14, 43), source: "postfix", raw: l[4]!, queue_id: null, stage: "rcpt", reason_class: "relay_denied", reason: "<yoomiae@asiana.co.kr>: Relay access denied", smtp_code: "554", dsn: "5.7.1", client_ip: "60.209.83.250", client_host: "unknown", sender: "ldakykzw@simmani.com", recipient: "yoomiae@asiana.co.kr", helo: "60.209.83.250", sasl_user: null },
    ],
  },
];

describe("PostfixLineParser", () => {
  for (const c of cases) {
    it.skipIf(c.corpus === true && !corpusAvailable)(c.name, () => {
      const input = c.input();
      const { events, recognised } = parseAll(input);
      expect(events).toEqual(c.output(input));
      expect(recognised).toEqual(c.recognised ?? input.map(() => true));
    });
  }

  it("keeps correlation state bounded: old queue ids are evicted", () => {
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(`Nov 29 07:04:10 mail postfix/pickup[1]: ${(0x100000 + i).toString(16).toUpperCase()}: uid=33 from=<www-data>`);
    const { recognised } = parseAll(lines, { maxTrackedMessages: 100 });
    expect(recognised.every(Boolean)).toBe(true);
  });

  it("forgets a message whose end line was lost after a day of log time, keeps one retried meanwhile", () => {
    const at = (day: number, h: number) => `Nov ${day} ${String(h).padStart(2, "0")}:00:00 mail`;
    const lines = [
      `${at(27, 0)} postfix/smtpd[1]: AAAA111111: client=one.example[192.0.2.1], sasl_method=LOGIN, sasl_username=lost`,
      `${at(27, 0)} postfix/qmgr[2]: AAAA111111: from=<a@one.example>, size=100, nrcpt=1 (queue active)`,
      `${at(27, 0)} postfix/smtpd[1]: BBBB222222: client=two.example[192.0.2.2], sasl_method=LOGIN, sasl_username=kept`,
      `${at(27, 0)} postfix/qmgr[2]: BBBB222222: from=<b@two.example>, size=100, nrcpt=1 (queue active)`,
    ];
    // BBBB is deferred and retried every hour for 30 hours, as qmgr does (maximal_backoff_time 4000 s).
    for (let h = 1; h <= 30; h++) {
      const day = 27 + Math.floor(h / 24);
      lines.push(`${at(day, h % 24)} postfix/qmgr[2]: BBBB222222: from=<b@two.example>, size=100, nrcpt=1 (queue active)`);
      lines.push(`${at(day, h % 24)} postfix/smtp[3]: BBBB222222: to=<x@far.example>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to far.example: Connection timed out)`);
    }
    lines.push(`${at(28, 7)} postfix/smtp[3]: AAAA111111: to=<y@far.example>, relay=none, delay=1, dsn=5.4.7, status=bounced (gave up)`);
    lines.push(`${at(28, 7)} postfix/smtp[3]: BBBB222222: to=<x@far.example>, relay=mx.far.example[198.51.100.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)`);
    const { events } = parseAll(lines);
    const last = events.slice(-2) as DeliveryEvent[];
    expect(last.map((e) => [e.type, e.queue_id, e.origin?.sasl_user ?? null])).toEqual([
      ["bounced", "AAAA111111", null],
      ["delivered", "BBBB222222", "kept"],
    ]);
  });

  const qidCases: [string, number][] = [
    ["DD68719044E: client=x", 11],
    ["44JCRG5tYPzCqt2: reject: BDAT", 15],
    ["NOQUEUE: reject: RCPT", 0],
    ["warning: unknown[1.2.3.4]: SASL", 0],
    ["statistics: max", 0],
    ["ABC: x", 0],
  ];
  for (const [input, output] of qidCases) {
    it(`postfixQueueIdLength(${JSON.stringify(input)}) = ${output}`, () => expect(postfixQueueIdLength(input)).toBe(output));
  }

  it("postfixQueueIdLength agrees with a character-by-character reading on random openings", () => {
    // Reference: the run of letters and digits at the start (at most 20), then ": "; upper-case hex of 5+,
    // or 10+ mixed with at least one digit and one capital.
    const reference = (msg: string): number => {
      const run = /^[0-9A-Za-z]{0,20}/.exec(msg)?.[0] ?? "";
      if (run.length < 5 || !msg.startsWith(": ", run.length)) return 0;
      if (/^[0-9A-F]+$/.test(run)) return run.length;
      return run.length >= 10 && /[0-9]/.test(run) && /[A-Z]/.test(run) ? run.length : 0;
    };
    const alphabet = "0123456789ABCDEFGHXYZabcfxyz: -[";
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let k = 0; k < 20_000; k++) {
      const len = rnd(26);
      let msg = "";
      for (let i = 0; i < len; i++) msg += alphabet[rnd(alphabet.length)];
      if (rnd(2) === 0) msg = `${msg.replace(/[^0-9A-Za-z]/g, "").slice(0, rnd(24))}: x`;
      expect(postfixQueueIdLength(msg), JSON.stringify(msg)).toBe(reference(msg));
    }
  });
});
