import { describe, expect, it } from "vitest";
import { fixtureLines, local, parseAll } from "../corpus.test-support.js";
import type { IdentityKind } from "./identity-kinds.js";
import type { AuthEvent, MessageReceivedEvent, RejectEvent } from "../events/mail-event.js";
import { WindowAggregator, type IdentityCounts } from "./window-aggregator.js";

const zero: IdentityCounts = {
  received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0, relay_denied: 0, auth_failures: 0, auth_successes: 0, null_sender: 0,
  distinct_recipients: 0, distinct_recipient_domains: 0, distinct_client_ips: 0, distinct_failed_client_ips: 0,
};
// No relay policy here: nothing counts as relayed (relay-counter.test.ts covers it).
const row = (kind: IdentityKind, key: string, counts: Partial<IdentityCounts>) => ({ kind, key, ...zero, relayed: 0, relayed_recipients: 0, ...counts });

function aggregate(windowMs: number) {
  const agg = new WindowAggregator({ windowMs });
  for (const e of parseAll(fixtureLines("postfix-submission-lab.log")).events) agg.add(e);
  return agg;
}

describe("WindowAggregator", () => {
  it("totals of the Postfix lab fixture, exact per identity", () => {
    const { identities, auth } = aggregate(Infinity).drainAll();
    expect(identities.map(({ window_start_unix_ms: _w, window_seconds: _ws, sample_queue_ids: _q, sample_message_ids: _m, sample_lines: _l, ...rest }) => rest)).toEqual([
      row("sasl_user", "petra@example.org", { received: 1, deferred: 3, delivered: 2, auth_failures: 1, auth_successes: 1, distinct_recipients: 3, distinct_recipient_domains: 2, distinct_client_ips: 1, distinct_failed_client_ips: 1 }),
      row("local_user", "uid:33", { received: 1, bounced: 1, distinct_recipients: 1, distinct_recipient_domains: 1 }),
      row("script", "33:mailer.php", { received: 1, bounced: 1, distinct_recipients: 1, distinct_recipient_domains: 1 }),
      row("client_ip", "127.0.0.16", { received: 1, deferred: 3, delivered: 2, auth_successes: 1, distinct_recipients: 3, distinct_recipient_domains: 2, distinct_client_ips: 1 }),
      row("client_ip", "127.0.0.41", { auth_failures: 2, distinct_failed_client_ips: 1 }),
      row("client_ip", "127.0.0.77", { rejected: 2, relay_denied: 2, distinct_recipients: 2, distinct_recipient_domains: 2 }),
      row("envelope_sender", "<>", { received: 1, null_sender: 1, delivered: 1, distinct_recipients: 1, distinct_recipient_domains: 1 }),
      row("envelope_sender", "ceo@bank.example", { received: 1, deferred: 3, delivered: 2, distinct_recipients: 3, distinct_recipient_domains: 2, distinct_client_ips: 1 }),
      row("envelope_sender", "spammer@forged.example", { rejected: 2, relay_denied: 2, distinct_recipients: 2, distinct_recipient_domains: 2 }),
      row("envelope_sender", "www-data@mail.example.org", { received: 1, bounced: 1, distinct_recipients: 1, distinct_recipient_domains: 1 }),
    ]);
    expect(identities.every((w) => w.window_start_unix_ms === 0 && w.window_seconds === 0)).toBe(true);
    expect(auth.map(({ sample_lines: _s, ...rest }) => rest)).toEqual([
      { window_start_unix_ms: 0, window_seconds: 0, client_ip: "127.0.0.16", username: "petra@example.org", failures: 0, successes: 1, services: ["submission"] },
      { window_start_unix_ms: 0, window_seconds: 0, client_ip: "127.0.0.41", username: "", failures: 1, successes: 0, services: ["submission"] },
      { window_start_unix_ms: 0, window_seconds: 0, client_ip: "127.0.0.41", username: "petra@example.org", failures: 1, successes: 0, services: ["submission"] },
    ]);
  });

  it("keeps evidence: distinct queue ids and message-ids, raw lines, at most maxSamples", () => {
    const { identities } = aggregate(Infinity).drainAll();
    const petra = identities.find((w) => w.kind === "sasl_user")!;
    expect(petra.sample_queue_ids).toEqual(["DD68719044E"]);
    expect(petra.sample_message_ids).toEqual(["20261129070410.DD68719044E@mail.example.org"]);
    expect(petra.sample_lines).toHaveLength(5);
    expect(petra.sample_lines[0]).toContain("DD68719044E: client=unknown[127.0.0.16], sasl_method=LOGIN");
    expect(petra.sample_lines[1]).toContain("DD68719044E: from=<ceo@bank.example>");
  });

  it("splits per minute: window start = floor(ts / 60 s); drainClosed returns only ended windows", () => {
    const agg = aggregate(60_000);
    const w0704 = local(2026, 11, 29, 7, 4, 0);
    const closed = agg.drainClosed(local(2026, 11, 29, 7, 6, 0));
    const petra = closed.identities.filter((w) => w.kind === "sasl_user").map((w) => ({ start: w.window_start_unix_ms, received: w.received, deferred: w.deferred, delivered: w.delivered, auth_failures: w.auth_failures, auth_successes: w.auth_successes }));
    expect(petra).toEqual([
      { start: w0704, received: 1, deferred: 2, delivered: 1, auth_failures: 0, auth_successes: 1 },
      { start: w0704 + 60_000, received: 0, deferred: 0, delivered: 0, auth_failures: 1, auth_successes: 0 },
    ]);
    const rest = agg.drainAll();
    expect([...new Set(rest.identities.map((w) => w.window_start_unix_ms))]).toEqual([6, 7, 9].map((m) => local(2026, 11, 29, 7, m, 0)));
    const retry = rest.identities.find((w) => w.kind === "sasl_user")!;
    expect(retry).toMatchObject({ window_start_unix_ms: local(2026, 11, 29, 7, 9, 0), window_seconds: 60, received: 0, deferred: 1, delivered: 1, distinct_recipients: 2 });
    expect(agg.drainAll()).toEqual({ identities: [], auth: [] });
  });

  it("names uids with resolveUid when given", () => {
    const agg = new WindowAggregator({ windowMs: Infinity, resolveUid: (uid) => (uid === 33 ? "www-data" : undefined) });
    for (const e of parseAll(fixtureLines("postfix-submission-lab.log")).events) agg.add(e);
    expect(agg.drainAll().identities.filter((w) => w.kind === "local_user").map((w) => w.key)).toEqual(["www-data"]);
  });

  it("rejects a window size of 0 with a message naming it", () => {
    expect(() => new WindowAggregator({ windowMs: 0 })).toThrow("windowMs 0 must be > 0");
  });

  describe("client addresses of an identity", () => {
    const T = Date.UTC(2026, 11, 7, 3, 0, 0);
    const login = (type: AuthEvent["type"], ip: string, user: string): AuthEvent => ({
      type, ts_unix_ms: T, source: "dovecot", raw: `${type} ${ip} ${user}`, client_ip: ip, username: user, mechanism: "PLAIN", service: "submission", reason: null, attempts: 1,
    });
    const sent = (ip: string, user: string | null, sender: string): MessageReceivedEvent => ({
      type: "received", ts_unix_ms: T, source: "postfix", raw: `received ${ip}`, queue_id: `Q${ip}`, sender, client_ip: ip, client_host: "unknown", sasl_user: user,
      local_user: null, local_uid: null, script: null, message_id: null, null_sender: false, size_bytes: 100, nrcpt: 1, sasl_method: user === null ? null : "PLAIN",
      protocol: "ESMTP", bounce_of: null, recipients: ["a@b.example"],
    });
    const rejected = (ip: string, user: string | null, sender: string): RejectEvent => ({
      type: "rejected", ts_unix_ms: T, source: "postfix", raw: `reject ${ip}`, queue_id: null, stage: "rcpt", reason_class: "relay_denied", reason: "Relay access denied",
      smtp_code: "554", dsn: "5.7.1", client_ip: ip, client_host: "unknown", sender, recipient: "x@y.example", helo: "h", sasl_user: user,
    });
    const windows = (events: Array<AuthEvent | MessageReceivedEvent | RejectEvent>) => {
      const agg = new WindowAggregator({ windowMs: 60_000 });
      for (const e of events) agg.add(e);
      return agg.drainAll().identities.map((w) => ({ kind: w.kind, key: w.key, ips: w.distinct_client_ips, failed: w.distinct_failed_client_ips }));
    };

    it("counts an attacker's failed guesses only in distinct_failed_client_ips, not as the victim's addresses", () => {
      const out = windows([
        login("auth_success", "192.0.2.10", "victim"),
        sent("192.0.2.10", "victim", "victim@example.org"),
        login("auth_failure", "198.51.100.1", "victim"),
        login("auth_failure", "198.51.100.2", "victim"),
        login("auth_failure", "198.51.100.2", "victim"),
        login("auth_failure", "198.51.100.3", "Victim"),
      ]);
      expect(out.find((w) => w.kind === "sasl_user")).toEqual({ kind: "sasl_user", key: "victim", ips: 1, failed: 3 });
      expect(out.find((w) => w.key === "198.51.100.2")).toEqual({ kind: "client_ip", key: "198.51.100.2", ips: 0, failed: 1 });
      expect(out.find((w) => w.key === "192.0.2.10")).toEqual({ kind: "client_ip", key: "192.0.2.10", ips: 1, failed: 0 });
    });

    it("an address that failed and then logged in counts once, in distinct_client_ips", () => {
      const out = windows([login("auth_failure", "203.0.113.5", "anna"), login("auth_success", "203.0.113.5", "anna"), login("auth_success", "203.0.113.6", "anna")]);
      expect(out.find((w) => w.kind === "sasl_user")).toEqual({ kind: "sasl_user", key: "anna", ips: 2, failed: 0 });
    });

    it("leaves rejected clients that never logged in out of distinct_client_ips; a rejection in a logged-in session counts", () => {
      const out = windows([
        rejected("198.51.100.77", null, "forged@victim.example"),
        rejected("198.51.100.78", null, "forged@victim.example"),
        sent("192.0.2.20", null, "forged@victim.example"),
        rejected("192.0.2.30", "carl", "carl@example.org"),
      ]);
      expect(out.find((w) => w.key === "forged@victim.example")).toEqual({ kind: "envelope_sender", key: "forged@victim.example", ips: 1, failed: 0 });
      expect(out.find((w) => w.key === "198.51.100.77")).toEqual({ kind: "client_ip", key: "198.51.100.77", ips: 0, failed: 0 });
      expect(out.find((w) => w.kind === "sasl_user")).toEqual({ kind: "sasl_user", key: "carl", ips: 1, failed: 0 });
    });
  });
});
