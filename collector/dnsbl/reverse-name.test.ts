import { describe, expect, it } from "vitest";
import { classifyAnswer } from "./classify-answer.js";
import { knownZone } from "./dnsbl-zones.js";
import { dnsblQueryName } from "./reverse-name.js";

describe("dnsblQueryName (RFC 5782)", () => {
  it.each([
    { input: "192.0.2.99", output: "99.2.0.192.zen.spamhaus.org" },
    { input: "::ffff:192.0.2.99", output: "99.2.0.192.zen.spamhaus.org" },
    // RFC 5782 §2.4's own example.
    { input: "2001:db8:1:2:3:4:567:89ab", output: "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org" },
    { input: "2001:DB8::1", output: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org" },
    { input: "64:ff9b::192.0.2.1", output: "1.0.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.zen.spamhaus.org" },
  ])("$input", ({ input, output }) => {
    expect(dnsblQueryName(input, "zen.spamhaus.org")).toBe(output);
  });

  it("refuses a non-address", () => {
    expect(() => dnsblQueryName("mx.example", "zen.spamhaus.org")).toThrow('"mx.example" is not an IP address');
  });
});

describe("classifyAnswer", () => {
  const zen = knownZone("ZEN.spamhaus.org.")!;
  it.each([
    { code: "127.0.0.4", outcome: "listed", meaning: "XBL: exploited host (CBL: botnet / malware infection, proxy)" },
    { code: "127.0.0.99", outcome: "listed", meaning: "listed on zen.spamhaus.org (code 127.0.0.99)" },
    { code: "127.255.255.254", outcome: "error", meaning: "error: query refused because it came through a public or open resolver (use your own resolver, dnsbl.servers)" },
    { code: "127.255.255.1", outcome: "error", meaning: "error: the list refused the query (127.255.255.x)" },
    { code: "127.0.0.1", outcome: "error", meaning: "error: the list refused the query (127.0.0.1 is not a listing code)" },
    { code: "198.51.100.7", outcome: "error", meaning: "error: answer outside 127.0.0.0/8 (the resolver rewrites unknown names; use a resolver that does not)" },
  ])("$code → $outcome", ({ code, outcome, meaning }) => {
    expect(classifyAnswer(code, zen)).toEqual({ outcome, code, meaning });
  });
});
