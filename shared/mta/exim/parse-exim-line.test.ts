import { describe, expect, it } from "vitest";
import { corpusAvailable, corpusLine, fixtureLines, local, parseAll } from "../corpus.test-support.js";
import type { MailEvent, MessageOrigin } from "../events/mail-event.js";
import { eximMessageIdLength } from "./parse-exim-line.js";
import { readEximHost } from "./read-exim-host.js";

const origin = (o: Partial<MessageOrigin> & { queue_id: string }): MessageOrigin => ({
  sender: null, client_ip: null, client_host: null, sasl_user: null, local_user: null, local_uid: null, script: null, message_id: null, ...o,
});

interface Case {
  name: string;
  corpus?: boolean;
  input: () => string[];
  output: (input: string[]) => MailEvent[];
}

const lab = (): string[] => fixtureLines("exim-mainlog-lab.log");
const formMsg = origin({ queue_id: "1vP5aB-00000A-Xy", sender: "webuser1@host.example", local_user: "webuser1", script: "/var/www/site1/wp-content/plugins/forms", message_id: "form-1@site1.example" });
const authMsg = origin({ queue_id: "1vP5aC-00000B-Zz", sender: "info@customer.example", client_ip: "127.0.0.41", sasl_user: "info@customer.example", message_id: "m1@laptop" });

const cases: Case[] = [
  {
    name: "lab: web script submission (cwd= + U= P=local) delivered; Exim's own -Mc cwd is no script",
    input: () => lab().slice(0, 5),
    output: (l) => [
      { type: "received", ts_unix_ms: local(2026, 11, 29, 7, 10, 0), source: "exim", raw: l[1]!, ...formMsg, null_sender: false, size_bytes: 1234, nrcpt: null, sasl_method: null, protocol: "local", bounce_of: null, recipients: [] },
      { type: "delivered", ts_unix_ms: local(2026, 11, 29, 7, 10, 1), source: "exim", raw: l[2]!, queue_id: "1vP5aB-00000A-Xy", recipient: "v1@far.example", orig_recipient: null, relay: "mx.far.example [192.0.2.80]", dsn: null, status_text: "250 OK", origin: formMsg },
    ],
  },
  {
    name: "lab: A=plain:user on submission, retry-time deferral, remote 550 bounce, null-sender bounce with R=, Frozen",
    input: () => lab().slice(5, 10),
    output: (l) => {
      const bounce = origin({ queue_id: "1vP5aD-00000C-Ww", sender: "", local_user: "Debian-exim" });
      return [
        { type: "auth_success", ts_unix_ms: local(2026, 11, 29, 7, 11, 0), source: "exim", raw: l[0]!, client_ip: "127.0.0.41", username: "info@customer.example", mechanism: "plain", service: "submission", reason: null, attempts: 1 },
        { type: "received", ts_unix_ms: local(2026, 11, 29, 7, 11, 0), source: "exim", raw: l[0]!, ...authMsg, null_sender: false, size_bytes: 2048, nrcpt: null, sasl_method: "plain", protocol: "esmtpsa", bounce_of: null, recipients: [] },
        { type: "deferred", ts_unix_ms: local(2026, 11, 29, 7, 11, 2), source: "exim", raw: l[1]!, queue_id: "1vP5aC-00000B-Zz", recipient: "r1@slow.example", orig_recipient: null, relay: "remote_smtp", dsn: null, status_text: "retry time not reached for any host", origin: authMsg },
        { type: "bounced", ts_unix_ms: local(2026, 11, 29, 7, 11, 2), source: "exim", raw: l[2]!, queue_id: "1vP5aC-00000B-Zz", recipient: "nobody@gone.example", orig_recipient: null, relay: "mx.gone.example [192.0.2.90]", dsn: null, status_text: "SMTP error from remote mail server after RCPT TO:<nobody@gone.example>: 550 5.1.1 No such user", origin: authMsg },
        { type: "received", ts_unix_ms: local(2026, 11, 29, 7, 11, 3), source: "exim", raw: l[3]!, ...bounce, null_sender: true, size_bytes: 3100, nrcpt: null, sasl_method: null, protocol: "local", bounce_of: "1vP5aC-00000B-Zz", recipients: [] },
      ];
    },
  },
  {
    name: "lab: authenticator failure on 587 and relay not permitted",
    input: () => lab().slice(10, 12),
    output: (l) => [
      { type: "auth_failure", ts_unix_ms: local(2026, 11, 29, 7, 12, 0), source: "exim", raw: l[0]!, client_ip: "127.0.0.42", username: "info@customer.example", mechanism: "plain", service: "submission", reason: "535 Incorrect authentication data", attempts: 1 },
      { type: "rejected", ts_unix_ms: local(2026, 11, 29, 7, 12, 30), source: "exim", raw: l[1]!, queue_id: null, stage: "rcpt", reason_class: "relay_denied", reason: "relay not permitted", smtp_code: null, dsn: null, client_ip: "127.0.0.77", client_host: null, sender: "spammer@forged.example", recipient: "r1@outside.example", helo: "spam-host", sasl_user: null },
    ],
  },
  {
    name: "corpus ddgrey: U=www-data on a loopback SMTP submission names the local user; => with <orig>",
    corpus: true,
    input: () => [329, 330].map((n) => corpusLine("exim/ddgrey-edward.rosnix.net-2020-mainlog.log", n)),
    output: (l) => {
      const o = origin({ queue_id: "1j5IuO-00070a-Pa", sender: "noreply@pilgrimbrevet.se", client_ip: "127.0.0.1", client_host: "localhost", local_user: "www-data", message_id: "20200222004440.2709.64126@edward.rosnix.net" });
      return [
        { type: "received", ts_unix_ms: local(2020, 2, 22, 1, 44, 40), source: "exim", raw: l[0]!, ...o, null_sender: false, size_bytes: 1025, nrcpt: null, sasl_method: null, protocol: "esmtp", bounce_of: null, recipients: [] },
        { type: "delivered", ts_unix_ms: local(2020, 2, 22, 1, 44, 46), source: "exim", raw: l[1]!, queue_id: "1j5IuO-00070a-Pa", recipient: "r8dersfan33@aol.com", orig_recipient: null, relay: "mx-aol.mail.gm0.yahoodns.net [67.195.204.75]", dsn: null, status_text: null, origin: o },
      ];
    },
  },
  {
    name: "corpus ddgrey: sa-exim's permanent rejection at DATA is a spam rejection of the client, sender and recipient; a skipped check is no event",
    corpus: true,
    input: () => [214, 217].map((n) => corpusLine("exim/ddgrey-edward.rosnix.net-2020-mainlog.log", n)),
    output: (l) => [
      { type: "rejected", ts_unix_ms: local(2020, 2, 22, 0, 58, 55), source: "exim", raw: l[0]!, queue_id: "1j5IBw-00064P-De", stage: "data", reason_class: "spam", reason: "SpamAssassin score=18.8 required=5.0 trigger=5.0", smtp_code: null, dsn: null, client_ip: "178.35.123.109", client_host: "xdsl-178-35-123-109.soes.su", sender: "toyaedypo@evowpmy.com", recipient: "margareta@rosnix.net", helo: null, sasl_user: null },
    ],
  },
  {
    name: "corpus: RBL reject, ms timestamp auth failure, helo with brackets, I= port, pid field relay denial, syslog form, local_scan and virus rejects",
    corpus: true,
    input: () => [
      corpusLine("exim/crowdsec-exim-logs.log", 4),
      corpusLine("exim/crowdsec-exim-logs.log", 11),
      corpusLine("exim/fail2ban-exim.log", 1),
      corpusLine("exim/fail2ban-exim.log", 9),
      corpusLine("exim/fail2ban-exim.log", 17),
      corpusLine("exim/crowdsec-exim-syslog-logs.log", 1),
      corpusLine("exim/fail2ban-exim-spam.log", 1),
      corpusLine("exim/fail2ban-exim-spam.log", 4),
    ],
    output: (l) => {
      const fail = { type: "auth_failure" as const, source: "exim" as const, service: "smtp", attempts: 1 };
      const rej = { type: "rejected" as const, source: "exim" as const, smtp_code: null, dsn: null, sasl_user: null };
      return [
        { ...rej, ts_unix_ms: local(2022, 6, 29, 15, 33, 46), raw: l[0]!, queue_id: null, stage: "rcpt", reason_class: "rbl", reason: "JunkMail rejected - test.com [1.2.3.4]:53343 is in an RBL: https://www.spamhaus.org/sbl/query/SBLCSS", client_ip: "1.2.3.4", client_host: "test.com", sender: "info@test.com", recipient: "toto@toto.com", helo: null },
        { ...fail, ts_unix_ms: local(2023, 5, 30, 6, 10, 13, 345), raw: l[1]!, client_ip: "192.0.2.12", username: "user", mechanism: "login", reason: "535 Incorrect authentication data" },
        { ...fail, ts_unix_ms: local(2013, 1, 4, 17, 3, 46), raw: l[2]!, client_ip: "24.106.174.74", username: "brian", mechanism: "login", reason: "535 Incorrect authentication data" },
        { ...fail, ts_unix_ms: local(2014, 12, 2, 3, 0, 23), raw: l[3]!, client_ip: "193.254.202.35", username: "webmaster", mechanism: "auth_plain", reason: "535 Incorrect authentication data" },
        { ...rej, ts_unix_ms: local(2013, 6, 10, 18, 33, 32), raw: l[4]!, queue_id: null, stage: "rcpt", reason_class: "relay_denied", reason: "relay not permitted", client_ip: "202.132.70.178", client_host: null, sender: "menacedsj04@listserv.eurasia.org", recipient: "dir@ml3.ru", helo: "yakult.com.tw" },
        { ...fail, ts_unix_ms: local(2026, 6, 29, 16, 4, 19), raw: l[5]!, client_ip: "1.2.3.4", username: "abuse@test.com", mechanism: "dovecot_login", reason: "535 Incorrect authentication data" },
        { ...rej, ts_unix_ms: local(2004, 1, 18, 7, 15, 35), raw: l[6]!, queue_id: "1Ai79e-0000Dq-8i", stage: "data", reason_class: "spam", reason: "Rejected: hits=7.5 required=5.0 trigger=5.0", client_ip: "4.47.28.40", client_host: "lsanca1-ar3-4-47-028-040.lsanca1.elnk.dsl.genuity.net", sender: "uzwltcmwto24@melissacam.biz", recipient: null, helo: null },
        { ...rej, ts_unix_ms: local(2013, 6, 15, 11, 20, 36), raw: l[7]!, queue_id: "1Unmew-0000ea-SE", stage: "data", reason_class: "spam", reason: "This message contains a virus (Sanesecurity.Junk.39934.UNOFFICIAL).", client_ip: "83.235.177.148", client_host: "egeftech.static.otenet.gr", sender: "auguriesvbd40@google.com", recipient: null, helo: null },
      ] as MailEvent[];
    },
  },
];

describe("EximLineParser", () => {
  for (const c of cases) {
    it.skipIf(c.corpus === true && !corpusAvailable)(c.name, () => {
      const input = c.input();
      const { events, recognised } = parseAll(input);
      expect(events).toEqual(c.output(input));
      expect(recognised).toEqual(input.map(() => true));
    });
  }

  const ids: [string, number][] = [
    ["1j5IuO-00070a-Pa <= x", 16],
    ["10HmaX-000000005vi-0000 <= x", 23],
    ["1j5IuO-00070a-Pa", 16],
    ["H=(x) [1.2.3.4]", 0],
    ["1j5IuO-0007!a-Pa x", 0],
  ];
  for (const [input, output] of ids) it(`eximMessageIdLength(${JSON.stringify(input)}) = ${output}`, () => expect(eximMessageIdLength(input, 0)).toBe(output));

  const hosts: [string, { host: string | null; helo: string | null; ip: string | null }][] = [
    ["mail.example.org [192.0.2.1]:25 X=y", { host: "mail.example.org", helo: null, ip: "192.0.2.1" }],
    ["(helo) [192.0.2.1] F=<a>", { host: null, helo: "helo", ip: "192.0.2.1" }],
    ["name ([10.0.0.1]) [192.0.2.1]: 535", { host: "name", helo: "[10.0.0.1]", ip: "192.0.2.1" }],
    ["[::ffff:192.0.2.9]", { host: null, helo: null, ip: "192.0.2.9" }],
    ["dront.rosnix [192.168.120.5]", { host: "dront.rosnix", helo: null, ip: "192.168.120.5" }],
  ];
  for (const [input, output] of hosts) {
    it(`readEximHost(${JSON.stringify(input)})`, () => {
      const { end: _end, ...rest } = readEximHost(input, 0);
      expect(rest).toEqual(output);
    });
  }
});
