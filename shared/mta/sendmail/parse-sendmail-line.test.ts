import { describe, expect, it } from "vitest";
import { corpusAvailable, corpusLine, local, parseAll } from "../corpus.test-support.js";
import type { MailEvent, MessageOrigin } from "../events/mail-event.js";

const origin = (o: Partial<MessageOrigin> & { queue_id: string }): MessageOrigin => ({
  sender: null, client_ip: null, client_host: null, sasl_user: null, local_user: null, local_uid: null, script: null, message_id: null, ...o,
});

interface Case {
  name: string;
  corpus?: boolean;
  input: () => string[];
  output: (input: string[]) => MailEvent[];
}

const own = [
  "Nov 29 07:20:00 mail sm-mta[4100]: 4ATK0001004100: AUTH=server, relay=[127.0.0.41], authid=petra@example.org, mech=LOGIN, bits=0",
  "Nov 29 07:20:00 mail sm-mta[4100]: 4ATK0001004100: from=<ceo@bank.example>, size=1422, class=0, nrcpts=1, msgid=<m2@laptop>, proto=ESMTPA, daemon=MTA, relay=[127.0.0.41]",
  "Nov 29 07:20:05 mail sm-mta[4101]: 4ATK0001004100: to=<nobody@gone.example>, delay=00:00:05, xdelay=00:00:05, mailer=esmtp, pri=121422, relay=mx.gone.example. [192.0.2.90], dsn=5.1.1, stat=User unknown",
];

const cases: Case[] = [
  {
    name: "own lines: AUTH=server gives the SASL user of the message, a 5.1.1 is a bounce",
    input: () => own,
    output: (l) => {
      const o = origin({ queue_id: "4ATK0001004100", sender: "ceo@bank.example", client_ip: "127.0.0.41", sasl_user: "petra@example.org", message_id: "m2@laptop" });
      return [
        { type: "auth_success", ts_unix_ms: local(2026, 11, 29, 7, 20, 0), source: "sendmail", raw: l[0]!, client_ip: "127.0.0.41", username: "petra@example.org", mechanism: "LOGIN", service: "smtp", reason: null, attempts: 1 },
        { type: "received", ts_unix_ms: local(2026, 11, 29, 7, 20, 0), source: "sendmail", raw: l[1]!, ...o, null_sender: false, size_bytes: 1422, nrcpt: 1, sasl_method: null, protocol: "ESMTPA", bounce_of: null, recipients: [] },
        { type: "bounced", ts_unix_ms: local(2026, 11, 29, 7, 20, 5), source: "sendmail", raw: l[2]!, queue_id: "4ATK0001004100", recipient: "nobody@gone.example", orig_recipient: null, relay: "mx.gone.example. [192.0.2.90]", dsn: "5.1.1", status_text: "User unknown", origin: o },
      ];
    },
  },
  {
    name: "corpus fluent: from= with msgid, to= with two recipients, deferral, local delivery",
    corpus: true,
    input: () => [2, 4, 5, 10].map((n) => corpusLine("sendmail/fluent-plugin-sendmail-test-data.log", n)),
    output: (l) => {
      const o = origin({ queue_id: "u31FFPtp032300", sender: "grandeur09@gmail.com", client_ip: "64.233.187.27", message_id: "201604011515.u31FFIAj012911@gmail.com" });
      const ts = local(2026, 4, 2, 0, 15, 25);
      const d = { source: "sendmail" as const, ts_unix_ms: ts, queue_id: "u31FFPtp032300", orig_recipient: null, origin: o };
      const sent = "Sent (ok:  Message 40279894 accepted)";
      return [
        { type: "received", ts_unix_ms: ts, source: "sendmail", raw: l[0]!, ...o, null_sender: false, size_bytes: 5938, nrcpt: 7, sasl_method: null, protocol: "ESMTP", bounce_of: null, recipients: [] },
        { ...d, type: "delivered", raw: l[1]!, recipient: "sent1@example.com", relay: "[93.184.216.34] [93.184.216.34]", dsn: "2.0.0", status_text: sent },
        { ...d, type: "delivered", raw: l[1]!, recipient: "sent2@example.com", relay: "[93.184.216.34] [93.184.216.34]", dsn: "2.0.0", status_text: sent },
        { ...d, type: "deferred", raw: l[2]!, recipient: "deferred1@example.com", relay: "[93.184.216.34] [93.184.216.34]", dsn: "4.3.5", status_text: "Deferred: 451 4.3.5 Server configuration problem" },
        { ...d, type: "delivered", raw: l[3]!, recipient: "root@localhost.localdomain", relay: "local", dsn: "2.0.0", status_text: "Sent" },
      ] as MailEvent[];
    },
  },
  {
    name: "corpus: AUTH attack note, AUTH failure with forged first relay=, relay denial, RBL, User unknown, nrcpts=0 (no message), MSP submission by root",
    corpus: true,
    input: () => [
      corpusLine("sendmail/fail2ban-sendmail-auth.log", 1),
      corpusLine("sendmail/fail2ban-sendmail-auth.log", 8),
      ...[1, 7, 29, 32].map((n) => corpusLine("sendmail/fail2ban-sendmail-reject.log", n)),
      corpusLine("sendmail/gomaillex-RHL058-2014-sendmail-msp-plus-postfix.log", 1),
    ],
    output: (l) => {
      const rej = { type: "rejected" as const, source: "sendmail" as const, helo: null, sasl_user: null, sender: null };
      return [
        { type: "auth_failure", ts_unix_ms: local(2026, 2, 16, 23, 33, 20), source: "sendmail", raw: l[0]!, client_ip: "190.5.230.178", username: null, mechanism: null, service: "smtp", reason: "possible SMTP attack: command=AUTH, count=5", attempts: 1 },
        { type: "auth_failure", ts_unix_ms: local(2026, 2, 25, 4, 2, 28), source: "sendmail", raw: l[1]!, client_ip: "192.0.2.4", username: "criminal", mechanism: "LOGIN", service: "smtp", reason: "authentication failure (-13) SASL(-13): authentication failure: checkpass failed", attempts: 1 },
        { ...rej, ts_unix_ms: local(2026, 2, 25, 3, 1, 10), raw: l[2]!, queue_id: "s1P819mk027713", stage: "rcpt", reason_class: "relay_denied", reason: "Relaying denied. Proper authentication required.", smtp_code: "550", dsn: "5.7.1", client_ip: "128.68.136.133", client_host: "128-68-136-133.broadband.corbina.ru", recipient: "asservnew@freemailhost.ru" },
        { ...rej, ts_unix_ms: local(2026, 2, 23, 7, 0, 8), raw: l[3]!, queue_id: "s1N706jo003992", stage: "rcpt", reason_class: "rbl", reason: "Rejected: 151.232.63.226 listed at sbl-xbl.spamhaus.org", smtp_code: "550", dsn: "5.7.1", client_ip: "151.232.63.226", client_host: null, recipient: "joaofr@camilopinto.pt" },
        { ...rej, ts_unix_ms: local(2026, 11, 3, 11, 35, 30), raw: l[4]!, queue_id: "rA37ZTSC026252", stage: "rcpt", reason_class: "unknown_user", reason: "No such user here", smtp_code: null, dsn: null, client_ip: null, client_host: null, recipient: "artem@domain.com" },
        {
          type: "received", ts_unix_ms: local(2026, 6, 29, 3, 10, 3), source: "sendmail", raw: l[6]!,
          ...origin({ queue_id: "s5T68YTv003569", sender: "no-reply@grooveshark.com", local_user: "root", message_id: "1404025803.53afbbcb667b9@swift.generated" }),
          null_sender: false, size_bytes: 25274, nrcpt: 1, sasl_method: null, protocol: "SMTP", bounce_of: null, recipients: [],
        },
      ] as MailEvent[];
    },
  },
];

describe("SendmailLineParser", () => {
  for (const c of cases) {
    it.skipIf(c.corpus === true && !corpusAvailable)(c.name, () => {
      const input = c.input();
      const { events, recognised } = parseAll(input);
      expect(events).toEqual(c.output(input));
      expect(recognised).toEqual(input.map(() => true));
    });
  }
});
