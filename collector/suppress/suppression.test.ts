import { describe, expect, it } from "vitest";
import { finding } from "../vocabulary/finding-fixtures.test-support.js";
import { checkSuppressionRows } from "./suppression-rows.js";
import { checkSuppressionValue, configSuppressions, parseExpiry, suppressionFor, suppressionMatches, type Suppression } from "./suppression.js";
import { toSuppressionRow } from "./suppressions-table.js";

const NOW = Date.parse("2026-12-07T06:00:00Z");
const sup = (over: Partial<Suppression>): Suppression => ({ id: "sup-0000abcd", rule: "*", scope: "host", value: "web1", reason: "app server", expiresAtMs: NOW + 3_600_000, source: "table", createdBy: "abuse", createdAtMs: NOW, ...over });

const fleetLogin = finding({ rule: "compromised-account", scope: "fleet", scopeHost: "", subject: "203.0.113.9", check: "fleet-client-ip", hosts: ["mx1", "mx2"], details: { client_ip: "203.0.113.9", accounts: ["a", "b"] } });
const account = finding({ rule: "compromised-account", scopeHost: "mx1", subject: "news@club.example", check: "spread", hosts: ["mx1"], details: { account: "news@club.example", client_ips: ["198.51.100.7"] } });
const relay = finding({ rule: "open-relay", scopeHost: "app1", subject: "app1", hosts: ["app1"], details: { clients: ["10.1.2.3", "10.1.2.4"] } });

describe("suppressionMatches", () => {
  it.each<{ name: string; s: Partial<Suppression>; f: ReturnType<typeof finding>; matches: boolean }>([
    { name: "host: the finding's host", s: { scope: "host", value: "web1" }, f: finding(), matches: true },
    { name: "host: another host", s: { scope: "host", value: "web2" }, f: finding(), matches: false },
    { name: "host: a fleet finding only when every host is it", s: { scope: "host", value: "mx1" }, f: fleetLogin, matches: false },
    { name: "identity: the account (case-insensitive)", s: { scope: "identity", value: "news@club.example" }, f: { ...account, subject: "News@Club.example" }, matches: true },
    { name: "identity: another account", s: { scope: "identity", value: "other@club.example" }, f: account, matches: false },
    { name: "cidr: the client IP of a fleet login (a known NAT range)", s: { scope: "cidr", value: "203.0.113.0/24" }, f: fleetLogin, matches: true },
    { name: "cidr: outside the range", s: { scope: "cidr", value: "192.0.2.0/24" }, f: fleetLogin, matches: false },
    { name: "cidr: every client of an open relay inside (an application network)", s: { scope: "cidr", value: "10.1.2.0/24" }, f: relay, matches: true },
    { name: "cidr: one client outside is not covered", s: { scope: "cidr", value: "10.1.2.3/32" }, f: relay, matches: false },
    { name: "cidr: a finding naming no address", s: { scope: "cidr", value: "0.0.0.0/0" }, f: finding(), matches: false },
    { name: "rule: another rule's suppression", s: { rule: "backscatter", scope: "host", value: "web1" }, f: finding(), matches: false },
    { name: "rule: the same rule", s: { rule: "direct-to-mx", scope: "host", value: "web1" }, f: finding(), matches: true },
  ])("$name → $matches", ({ s, f, matches }) => {
    expect(suppressionMatches(sup(s), f)).toBe(matches);
  });

  it("an expired suppression no longer applies; the first current one wins", () => {
    const expired = sup({ id: "sup-00000001", expiresAtMs: NOW });
    const current = sup({ id: "sup-00000002" });
    expect(suppressionFor(finding(), [expired], NOW)).toBeUndefined();
    expect(suppressionFor(finding(), [expired, current], NOW)?.id).toBe("sup-00000002");
  });
});

describe("parseExpiry and values", () => {
  it.each<[string, number]>([
    ["2027-01-31", Date.parse("2027-01-31T00:00:00Z")],
    ["2027-01-31T18:30:00", Date.parse("2027-01-31T18:30:00Z")],
    ["2027-01-31T18:30:00+02:00", Date.parse("2027-01-31T16:30:00Z")],
    ["90m", NOW + 90 * 60_000],
    ["30d", NOW + 30 * 86_400_000],
    ["4w", NOW + 28 * 86_400_000],
  ])("%s", (text, ms) => {
    expect(parseExpiry(text, NOW)).toBe(ms);
  });
  it.each(["tomorrow", "31/01/2027", "2027-13-45", "30y", ""])("refuses %j", (text) => {
    expect(() => parseExpiry(text, NOW)).toThrow(/must be a date .* or a duration/);
  });
  it("normalises values: an address is a /32 or /128, identities lower-case; refuses a bad range", () => {
    expect(checkSuppressionValue("cidr", "203.0.113.9")).toBe("203.0.113.9/32");
    expect(checkSuppressionValue("cidr", "2001:DB8::1")).toBe("2001:db8::1/128");
    expect(checkSuppressionValue("identity", "News@Club.example")).toBe("news@club.example");
    expect(() => checkSuppressionValue("cidr", "10.0.0.0/40")).toThrow(/IP address or CIDR/);
    expect(() => checkSuppressionValue("host", "  ")).toThrow(/empty/);
  });
  it("config entries become suppressions cfg:<index>", () => {
    const [s] = configSuppressions([{ rule: "compromised-account", scope: "cidr", value: "198.51.100.0/24", expires: "2027-06-30", reason: "office NAT" }]);
    expect(s).toMatchObject({ id: "cfg:0", source: "config", value: "198.51.100.0/24", expiresAtMs: Date.parse("2027-06-30T00:00:00Z") });
  });
});

describe("checkSuppressionRows (the admin endpoint of `spamtrace suppress` in embedded mode)", () => {
  const row = toSuppressionRow(sup({}), false, NOW);
  it("accepts rows of the table exactly", () => {
    expect(checkSuppressionRows({ rows: [row] })).toEqual([row]);
  });
  it.each<[string, unknown, RegExp]>([
    ["no rows", { rows: [] }, /1\.\.100/],
    ["an extra column", { rows: [{ ...row, sql: "DROP" }] }, /rows\[0\]/],
    ["a bad id", { rows: [{ ...row, id: "x'; DROP" }] }, /rows\[0\]\.id/],
    ["an unknown scope", { rows: [{ ...row, scope: "everything" }] }, /rows\[0\]\.scope/],
  ])("refuses %s", (_name, body, message) => {
    expect(() => checkSuppressionRows(body)).toThrow(message);
  });
});
