import { describe, expect, it } from "vitest";
import { evaluateAccountTakeover } from "./compromised-account-takeover.js";
import { evaluateFleetLogins } from "./compromised-account-fleet-login.js";
import { evaluateAuthBruteforce, type FailureTotals } from "./auth-bruteforce.js";
import type { AuthRow } from "./auth-rows.js";
import { RULES, isFleetAddress } from "./rule-fixtures.test-support.js";

const row = (over: Partial<AuthRow> & Pick<AuthRow, "clientIp" | "username" | "atMs">): AuthRow => ({ hostId: "mx1", windowSeconds: 60, failures: 0, successes: 0, services: ["smtp"], lines: [], ...over });

describe("evaluateAccountTakeover", () => {
  const config = RULES.compromisedAccount;
  it("fires for the account that logs in after a burst of failures from the same IP", () => {
    const rows = [
      row({ clientIp: "203.0.113.9", username: "admin", atMs: 0, failures: 6, lines: ["fail admin"] }),
      row({ clientIp: "203.0.113.9", username: "info", atMs: 60_000, failures: 4 }),
      row({ clientIp: "203.0.113.9", username: "alice", atMs: 120_000, successes: 1, lines: ["alice ok"] }),
    ];
    const [f, ...rest] = evaluateAccountTakeover(rows, config, isFleetAddress);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ subject: "alice", check: "auth-burst-then-success", firstSeenMs: 0, lastSeenMs: 180_000 });
    expect(f!.counts).toEqual({ failures_before_success: 10, successes: 1, users_tried: 2 });
    expect(f!.evidence.sample_lines).toEqual(["alice ok", "fail admin"]);
  });
  it("counts a window's failures before its success, whatever order its rows come in", () => {
    const rows = [
      row({ clientIp: "203.0.113.9", username: "alice", atMs: 60_000, successes: 1 }),
      row({ clientIp: "203.0.113.9", username: "bob", atMs: 60_000, failures: 10 }),
    ];
    expect(evaluateAccountTakeover(rows, config, isFleetAddress).map((f) => f.subject)).toEqual(["alice"]);
  });
  it.each<{ name: string; rows: AuthRow[] }>([
    { name: "a success before the burst", rows: [row({ clientIp: "203.0.113.9", username: "alice", atMs: 0, successes: 1 }), row({ clientIp: "203.0.113.9", username: "x", atMs: 60_000, failures: 20 })] },
    { name: "too few failures", rows: [row({ clientIp: "203.0.113.9", username: "x", atMs: 0, failures: 9 }), row({ clientIp: "203.0.113.9", username: "alice", atMs: 60_000, successes: 1 })] },
    { name: "failures and success from different IPs", rows: [row({ clientIp: "203.0.113.9", username: "x", atMs: 0, failures: 30 }), row({ clientIp: "203.0.113.10", username: "alice", atMs: 60_000, successes: 1 })] },
    { name: "webmail on loopback", rows: [row({ clientIp: "127.0.0.1", username: "x", atMs: 0, failures: 30 }), row({ clientIp: "127.0.0.1", username: "alice", atMs: 60_000, successes: 1 })] },
  ])("silent: $name", ({ rows }) => {
    expect(evaluateAccountTakeover(rows, config, isFleetAddress)).toEqual([]);
  });
});

describe("evaluateFleetLogins", () => {
  const config = RULES.compromisedAccount;
  const login = (clientIp: string, users: string[], hosts: string[]) => ({ clientIp, users, hosts, successes: users.length, failures: 0, firstMs: 0, lastMs: 60_000, lines: [] });
  it.each<{ name: string; users: string[]; hosts: string[]; ip?: string; fires: boolean }>([
    { name: "two users on two hosts", users: ["u1", "u2"], hosts: ["mx-d", "mx-e"], fires: true },
    { name: "three users on one host", users: ["u1", "u2", "u3"], hosts: ["mx-d"], fires: true },
    { name: "two users on one host (a shared office IP)", users: ["u1", "u2"], hosts: ["mx-d"], fires: false },
    { name: "one user on two hosts (IMAP and SMTP front ends)", users: ["u1"], hosts: ["mx-d", "mx-e"], fires: false },
    { name: "webmail on loopback", users: ["u1", "u2", "u3", "u4"], hosts: ["mx-d"], ip: "127.0.0.1", fires: false },
    { name: "another fleet host (a webmail server)", users: ["u1", "u2", "u3", "u4"], hosts: ["mx-d"], ip: "198.51.100.10", fires: false },
  ])("$name → $fires", ({ users, hosts, ip, fires }) => {
    const found = evaluateFleetLogins([login(ip ?? "192.0.2.200", users, hosts)], config, isFleetAddress);
    expect(found.map((f) => [f.scope, f.subject, f.hosts])).toEqual(fires ? [["fleet", ip ?? "192.0.2.200", hosts]] : []);
  });
});

describe("evaluateAuthBruteforce", () => {
  const config = RULES.authBruteforce;
  const t = (over: Partial<FailureTotals>): FailureTotals => ({ hostId: "mx1", clientIp: "198.51.100.99", failures: 30, successes: 0, users: ["a", "b", ""], hosts: ["mx1"], services: ["smtp"], firstMs: 0, lastMs: 60_000, lines: [], ...over });
  it("names the IP, the hosts and the users tried (unlogged names left out)", () => {
    const [f] = evaluateAuthBruteforce([t({})], config, isFleetAddress);
    expect(f).toMatchObject({ rule: "auth-bruteforce", scope: "host", scopeHost: "mx1", subject: "198.51.100.99", severityBoost: 0 });
    expect(f!.details.users_tried).toEqual(["a", "b"]);
    expect(f!.summary).toBe("client 198.51.100.99 failed 30 logins in 15 min trying 2 users (a, b)");
  });
  it("fleet totals become fleet incidents; ten times the bar escalates; loopback is ignored", () => {
    const found = evaluateAuthBruteforce([t({ hostId: "", hosts: ["mx1", "mx2"], failures: 600 }), t({ clientIp: "127.0.0.1" })], config, isFleetAddress);
    expect(found.map((f) => [f.scope, f.scopeHost, f.hosts, f.severityBoost])).toEqual([["fleet", "", ["mx1", "mx2"], 1]]);
  });
});
