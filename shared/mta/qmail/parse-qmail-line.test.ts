import { describe, expect, it } from "vitest";
import { corpusAvailable, corpusLine, local, parseAll } from "../corpus.test-support.js";
import type { MailEvent, MessageOrigin } from "../events/mail-event.js";

const origin = (o: Partial<MessageOrigin> & { queue_id: string }): MessageOrigin => ({
  sender: null, client_ip: null, client_host: null, sasl_user: null, local_user: null, local_uid: null, script: null, message_id: null, ...o,
});

/** The notqmail example lines carry no syslog prefix: give them one (the message part is the real text). */
const notqmail = (n: number): string => `Nov 29 07:30:00 mail ${corpusLine("qmail/notqmail-TEST.deliver-examples.log", n).trimEnd()}`;
const T = local(2026, 11, 29, 7, 30, 0);

interface Case {
  name: string;
  corpus?: boolean;
  input: () => string[];
  output: (input: string[]) => MailEvent[];
}

const cases: Case[] = [
  {
    name: "corpus notqmail: info msg (uid), local failure bounce, the null-sender bounce msg and its delivery; msg number reused after end msg",
    corpus: true,
    input: () => Array.from({ length: 22 }, (_, i) => notqmail(i + 8)),
    output: (l) => {
      const m53 = origin({ queue_id: "53", sender: "me@domain", local_uid: 666 });
      const m54 = origin({ queue_id: "54", sender: "", local_uid: 666 });
      const rec = { type: "received" as const, ts_unix_ms: T, source: "qmail" as const, nrcpt: null, sasl_method: null, protocol: null, bounce_of: null, recipients: [] };
      const del = { ts_unix_ms: T, source: "qmail" as const, orig_recipient: null, dsn: null };
      return [
        { ...rec, raw: l[1]!, ...m53, null_sender: false, size_bytes: 246 },
        { ...del, type: "bounced", raw: l[4]!, queue_id: "53", recipient: "nonexistent@domain", relay: "local", status_text: "No such address.  #5.1.1 /", origin: m53 },
        { ...rec, raw: l[9]!, ...m54, null_sender: true, size_bytes: 743 },
        { ...del, type: "delivered", raw: l[12]!, queue_id: "54", recipient: "me@domain", relay: "local", status_text: "did 1+0+0/", origin: m54 },
        { ...rec, raw: l[16]!, ...m53, null_sender: false, size_bytes: 246 },
        { ...del, type: "delivered", raw: l[19]!, queue_id: "53", recipient: "me@wherever", relay: "remote", status_text: "1.2.3.4 accepted message./...", origin: m53 },
      ] as MailEvent[];
    },
  },
  {
    name: "corpus: rblsmtpd and qmail-smtpd RBL refusals (syslog'd with epoch stamp), vpopmail password failure",
    corpus: true,
    input: () => [corpusLine("qmail/fail2ban-qmail.log", 1), corpusLine("qmail/fail2ban-qmail.log", 2), corpusLine("qmail/wazuh-ruleset-log-entries-vpopmail.log", 1)],
    output: (l) => {
      const r = { type: "rejected" as const, source: "qmail" as const, queue_id: null, stage: "connect" as const, reason_class: "rbl" as const, dsn: null, client_host: null, sender: null, recipient: null, helo: null, sasl_user: null };
      return [
        { ...r, ts_unix_ms: local(2026, 9, 6, 7, 33, 33), raw: l[0]!, reason: "http://www.spamhaus.org/query/bl?ip=198.51.100.77", smtp_code: "451", client_ip: "198.51.100.77" },
        { ...r, ts_unix_ms: local(2026, 9, 6, 7, 18, 29), raw: l[1]!, reason: "badiprbl: ip 198.51.100.54 rbl: example.com", smtp_code: "421", client_ip: "198.51.100.54" },
        { type: "auth_failure", ts_unix_ms: local(2026, 9, 14, 7, 21, 42), source: "qmail", raw: l[2]!, client_ip: "219.136.100.198", username: "keith1@xxxx.com", mechanism: null, service: "pop3", reason: "password fail", attempts: 1 },
      ];
    },
  },
  {
    name: "own lines: Plesk smtp_auth success and failure, vchkpw login success, multilog TAI64N qmail-send line",
    input: () => [
      "Nov 29 07:31:00 mail smtp_auth[5100]: SMTP user info@customer.example : /var/qmail/mailnames/customer.example/info logged in from (null)@unknown [127.0.0.41]",
      "Nov 29 07:31:05 mail smtp_auth[5101]: FAILED: info@customer.example - password incorrect from (null)@unknown [127.0.0.42]",
      "Nov 29 07:31:09 mail vpopmail[5102]: vchkpw-smtp: (PLAIN) login success info@customer.example:127.0.0.41",
      "@400000006a2a9c2a1d2b3c4d status: local 0/10 remote 1/20",
    ],
    output: (l) => [
      { type: "auth_success", ts_unix_ms: local(2026, 11, 29, 7, 31, 0), source: "qmail", raw: l[0]!, client_ip: "127.0.0.41", username: "info@customer.example", mechanism: null, service: "smtp", reason: null, attempts: 1 },
      { type: "auth_failure", ts_unix_ms: local(2026, 11, 29, 7, 31, 5), source: "qmail", raw: l[1]!, client_ip: "127.0.0.42", username: "info@customer.example", mechanism: null, service: "smtp", reason: "password incorrect", attempts: 1 },
      { type: "auth_success", ts_unix_ms: local(2026, 11, 29, 7, 31, 9), source: "qmail", raw: l[2]!, client_ip: "127.0.0.41", username: "info@customer.example", mechanism: "PLAIN", service: "smtp", reason: null, attempts: 1 },
    ],
  },
];

describe("QmailLineParser", () => {
  for (const c of cases) {
    it.skipIf(c.corpus === true && !corpusAvailable)(c.name, () => {
      const input = c.input();
      const { events, recognised } = parseAll(input);
      expect(events).toEqual(c.output(input));
      expect(recognised).toEqual(input.map(() => true));
    });
  }
});
