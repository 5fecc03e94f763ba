import { describe, expect, it } from "vitest";
import { corpusAvailable, corpusLine, local, parseAll } from "../corpus.test-support.js";

describe("CourierLineParser", () => {
  it.skipIf(!corpusAvailable)("corpus: LOGIN FAILED with IPv4-mapped address, imapd-ssl without user", () => {
    const l = [corpusLine("other-mta/fail2ban-courier-auth.log", 1), corpusLine("other-mta/fail2ban-courier-auth.log", 5)];
    const { events, recognised } = parseAll(l);
    expect(recognised).toEqual([true, true]);
    expect(events).toEqual([
      { type: "auth_failure", ts_unix_ms: local(2026, 4, 23, 21, 59, 1), source: "courier", raw: l[0], client_ip: "1.2.3.4", username: "sales@example.com", mechanism: null, service: "imap", reason: "LOGIN FAILED", attempts: 1 },
      { type: "auth_failure", ts_unix_ms: local(2026, 4, 17, 19, 17, 12), source: "courier", raw: l[1], client_ip: "192.0.2.4", username: null, mechanism: "PLAIN", service: "imap", reason: "LOGIN FAILED", attempts: 1 },
    ]);
  });

  it("own line: successful POP3 login", () => {
    const l = ["Nov 29 07:41:00 mail pop3d: LOGIN, user=info@customer.example, ip=[::ffff:127.0.0.41], port=[40000], protocol=POP3"];
    const { events } = parseAll(l);
    expect(events).toEqual([
      { type: "auth_success", ts_unix_ms: local(2026, 11, 29, 7, 41, 0), source: "courier", raw: l[0], client_ip: "127.0.0.41", username: "info@customer.example", mechanism: null, service: "pop3", reason: null, attempts: 1 },
    ]);
  });
});
