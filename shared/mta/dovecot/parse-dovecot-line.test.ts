import { describe, expect, it } from "vitest";
import { corpusAvailable, corpusLine, local, parseAll } from "../corpus.test-support.js";
import type { MailEvent } from "../events/mail-event.js";

interface Case {
  name: string;
  corpus?: boolean;
  input: () => string[];
  output: (input: string[]) => MailEvent[];
}

const f2b = (n: number): string => corpusLine("other-mta/fail2ban-dovecot.log", n);
const base = { source: "dovecot" as const, attempts: 1 };

const cases: Case[] = [
  {
    name: "corpus: login-process failures (multilog TAI64N, N attempts, Inactivity); auth-process lines recognised without events",
    corpus: true,
    input: () => [f2b(1), f2b(2), f2b(7), f2b(13), f2b(22), f2b(29)],
    output: (l) => [
      { ...base, type: "auth_failure", ts_unix_ms: 1284616250125, raw: l[0]!, client_ip: "80.187.101.33", username: "martin@waschbuesch.de", mechanism: "CRAM-MD5", service: "imap", reason: "Aborted login (auth failed, 1 attempts)" },
      { ...base, type: "auth_failure", ts_unix_ms: local(2026, 6, 13, 16, 30, 54), raw: l[2]!, client_ip: "49.176.98.87", username: "username.bob", mechanism: "PLAIN", service: "imap", reason: "Disconnected (auth failed, 2 attempts)", attempts: 2 },
      { ...base, type: "auth_failure", ts_unix_ms: local(2026, 1, 13, 20, 51, 5), raw: l[5]!, client_ip: "1.2.3.4", username: "ivo", mechanism: "PLAIN", service: "pop3", reason: "Disconnected: Inactivity (auth failed, 1 attempts in 178 secs)" },
    ],
  },
  {
    name: "corpus: Dovecot's own log without host (Info: tag), 1.x 'authentication attempts', successful login",
    corpus: true,
    input: () => [corpusLine("other-mta/wazuh-ruleset-tests-dovecot.log", 10), corpusLine("other-mta/lograptor-dovecot.log", 2)],
    output: (l) => [
      { ...base, type: "auth_failure", ts_unix_ms: local(2026, 5, 31, 9, 43, 57), raw: l[0]!, client_ip: "1.2.3.4", username: "username", mechanism: "PLAIN", service: "pop3", reason: "Aborted login (1 authentication attempts)" },
      { ...base, type: "auth_success", ts_unix_ms: local(2026, 4, 1, 10, 0, 2), raw: l[1]!, client_ip: "192.168.0.1", username: "admin", mechanism: "PLAIN", service: "imap", reason: null },
    ],
  },
  {
    name: "own lines: submission-login brute force with an IPv4-mapped rip, no-auth disconnect recognised without event",
    input: () => [
      "2026-11-29T07:40:00.000001+00:00 mail dovecot: submission-login: Disconnected: Aborted login by logging out (auth failed, 3 attempts in 12 secs): user=<petra@example.org>, method=LOGIN, rip=::ffff:127.0.0.41, lip=127.0.0.25, TLS, session=<abc>",
      "2026-11-29T07:40:01+00:00 mail dovecot: imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=127.0.0.41, lip=127.0.0.25, session=<def>",
    ],
    output: (l) => [
      { ...base, type: "auth_failure", ts_unix_ms: Date.UTC(2026, 10, 29, 7, 40, 0, 0), raw: l[0]!, client_ip: "127.0.0.41", username: "petra@example.org", mechanism: "LOGIN", service: "submission", reason: "Disconnected: Aborted login by logging out (auth failed, 3 attempts in 12 secs)", attempts: 3 },
    ],
  },
];

describe("DovecotLineParser", () => {
  for (const c of cases) {
    it.skipIf(c.corpus === true && !corpusAvailable)(c.name, () => {
      const input = c.input();
      const { events, recognised } = parseAll(input);
      expect(events).toEqual(c.output(input));
      expect(recognised).toEqual(input.map(() => true));
    });
  }
});
