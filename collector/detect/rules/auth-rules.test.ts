import { describe, expect, it } from "vitest";
import { evaluateAccountTakeover } from "./compromised-account-takeover.js";
import { evaluateFleetLogins, type FleetLogin } from "./compromised-account-fleet-login.js";
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
  type Over = Partial<FleetLogin>;
  const login = (clientIp: string, users: string[], hosts: string[], over: Over = {}): FleetLogin => ({
    clientIp, users, hosts, successes: users.length, failures: 0, failuresBeforeSuccess: 0, firstMs: 0, lastMs: 60_000, lines: [],
    usersWithHistory: 0, usersSeenFromHere: 0, usersSendingChanged: [], ...over,
  });
  const stuffing: Over = { failures: 12, failuresBeforeSuccess: 12, usersSendingChanged: ["u1"] };
  it.each<{ name: string; users: string[]; hosts: string[]; ip?: string; over?: Over; fires: boolean }>([
    { name: "shared NAT: two users on two hosts, nothing else", users: ["u1", "u2"], hosts: ["mx-d", "mx-e"], fires: false },
    { name: "shared office: three users on one host, a typo or two", users: ["u1", "u2", "u3"], hosts: ["mx-d"], over: { failures: 2, failuresBeforeSuccess: 2 }, fires: false },
    { name: "CGNAT: an address new to accounts with history, sending normally", users: ["u1", "u2", "u3"], hosts: ["mx-d"], over: { usersWithHistory: 3 }, fires: false },
    { name: "stuffing: failures, then two users on two hosts, then sending changes", users: ["u1", "u2"], hosts: ["mx-d", "mx-e"], over: stuffing, fires: true },
    { name: "failures before success from an address new to the accounts", users: ["u1", "u2", "u3"], hosts: ["mx-d"], over: { failuresBeforeSuccess: 6, usersWithHistory: 2 }, fires: true },
    { name: "failures only after the successes do not count", users: ["u1", "u2"], hosts: ["mx-d", "mx-e"], over: { failures: 12, failuresBeforeSuccess: 0, usersSendingChanged: ["u1"] }, fires: false },
    { name: "a known address is not new", users: ["u1", "u2"], hosts: ["mx-d", "mx-e"], over: { usersWithHistory: 2, usersSeenFromHere: 1, usersSendingChanged: ["u2"] }, fires: false },
    { name: "many users from a new address", users: Array.from({ length: 12 }, (_, i) => `u${i}`), hosts: ["mx-d"], over: { usersWithHistory: 12 }, fires: true },
    { name: "two users on one host with every signal (not a fleet pattern)", users: ["u1", "u2"], hosts: ["mx-d"], over: stuffing, fires: false },
    { name: "one user on two hosts (IMAP and SMTP front ends)", users: ["u1"], hosts: ["mx-d", "mx-e"], over: stuffing, fires: false },
    { name: "webmail on loopback", users: ["u1", "u2", "u3", "u4"], hosts: ["mx-d"], ip: "127.0.0.1", over: stuffing, fires: false },
    { name: "another fleet host (a webmail server)", users: ["u1", "u2", "u3", "u4"], hosts: ["mx-d"], ip: "198.51.100.10", over: stuffing, fires: false },
  ])("$name → $fires", ({ users, hosts, ip, over, fires }) => {
    const found = evaluateFleetLogins([login(ip ?? "192.0.2.200", users, hosts, over)], config, isFleetAddress);
    expect(found.map((f) => [f.scope, f.subject, f.hosts])).toEqual(fires ? [["fleet", ip ?? "192.0.2.200", hosts]] : []);
  });
  it("names the evidence", () => {
    const [f] = evaluateFleetLogins([login("192.0.2.200", ["u1", "u2"], ["mx-d", "mx-e"], stuffing)], config, isFleetAddress);
    expect(f!.details.signals).toEqual(["failures-before-success", "sending-changed"]);
    expect(f!.counts).toMatchObject({ users: 2, hosts: 2, failures_before_success: 12, users_sending_changed: 1 });
  });
});

describe("evaluateAuthBruteforce", () => {
  const config = RULES.authBruteforce;
  const t = (over: Partial<FailureTotals>): FailureTotals => ({ hostId: "mx1", clientIp: "198.51.100.99", failures: 30, successes: 0, usersFailedOnly: 2, users: ["a", "b", ""], hosts: ["mx1"], services: ["smtp"], firstMs: 0, lastMs: 60_000, lines: [], ...over });
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
  it.each<{ name: string; over: Partial<FailureTotals>; check: string | null }>([
    { name: "a spray: 3 user names failed, none logged in, 3 failures", over: { failures: 3, usersFailedOnly: 3, users: ["admin", "info", "sales"] }, check: "host-spread" },
    { name: "a person mistyping: one name, then a login", over: { failures: 2, successes: 1, usersFailedOnly: 0, users: ["heidi"] }, check: null },
    { name: "a shared NAT: two users failed once, both logged in, one more stale client", over: { failures: 3, successes: 2, usersFailedOnly: 1, users: ["a", "b", "c"] }, check: null },
    { name: "19 failures on one name", over: { failures: 19, usersFailedOnly: 1, users: ["bob"] }, check: null },
    { name: "20 failures on one name", over: { failures: 20, usersFailedOnly: 1, users: ["bob"] }, check: "host-failures" },
    { name: "a spread over the fleet is no fleet spread (each host judges its own)", over: { hostId: "", hosts: ["mx1", "mx2"], failures: 6, usersFailedOnly: 6 }, check: null },
  ])("$name → $check", ({ over, check }) => {
    const found = evaluateAuthBruteforce([t(over)], config, isFleetAddress);
    expect(found.map((f) => f.check)).toEqual(check === null ? [] : [check]);
  });
  it("a spray's summary says how many names never logged in", () => {
    const [f] = evaluateAuthBruteforce([t({ failures: 4, usersFailedOnly: 4, users: ["admin", "info", "sales", "test"] })], config, isFleetAddress);
    expect(f!.summary).toBe("client 198.51.100.99 failed 4 logins in 15 min trying 4 users (admin, info, sales, test), 4 of them never logging in");
    expect(f!.counts.users_failed_only).toBe(4);
  });
});
