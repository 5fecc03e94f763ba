import { describe, expect, it } from "vitest";
import { coversInternet, policyHash, RelayJudge, toCidr, type RelayPolicy } from "./relay-policy.js";

const policy = (over: Partial<RelayPolicy> = {}): RelayPolicy => ({
  mta: "postfix",
  servedDomains: ["example.org", ".hosted.example", "localhost"],
  permittedNetworks: ["127.0.0.0/8", "10.20.0.0/16", "2001:db8::/32", "0.0.0.0/0"],
  unreadableSources: [],
  sources: ["/usr/sbin/postconf -x"],
  findings: [],
  ...over,
});

describe("coversInternet", () => {
  it.each([
    ["*", true], ["0.0.0.0/0", true], ["::/0", true], ["0.0.0.0/1", true], ["64.0.0.0/2", true], ["10.0.0.0/7", true],
    ["10.0.0.0/8", false], ["192.168.0.0/16", false], ["2001:db8::/32", false], ["::/7", true], ["mail.example.org", false], ["hash:/etc/x", false],
  ])("%s → %s", (entry, covers) => expect(coversInternet(entry)).toBe(covers));
});

describe("toCidr", () => {
  it.each([
    ["127.0.0.0/8", "127.0.0.0/8"], ["[::1]/128", "::1/128"], ["[::ffff:127.0.0.0]/104", "127.0.0.0/8"], ["192.0.2.7", "192.0.2.7/32"],
    ["10.0", "10.0.0.0/16"], ["192.168.1.", "192.168.1.0/24"], ["fe80::fc:ff:fe00:1", "fe80::fc:ff:fe00:1/128"], ["host.example", null], ["10.0.0.0/33", null],
  ])("%s → %s", (entry, cidr) => expect(toCidr(entry)).toBe(cidr));
});

describe("RelayJudge", () => {
  const judge = new RelayJudge(policy());
  it("serves listed domains and subdomains of dotted entries only", () => {
    expect(["example.org", "EXAMPLE.ORG.", "a.hosted.example", "x.y.hosted.example", "localhost", ""].map((d) => judge.serves(d))).toEqual([true, true, true, true, true, true]);
    expect(["sub.example.org", "hosted.example", "gmail.example"].map((d) => judge.serves(d))).toEqual([false, false, false]);
  });
  it("permits its networks but never an Internet-wide entry", () => {
    expect(["127.0.0.1", "10.20.3.4", "2001:db8::5", "203.0.113.9", "10.21.0.1"].map((ip) => judge.permits(ip))).toEqual([true, true, true, false, false]);
  });
  it("cannot tell an unlisted domain when some lookup could not be listed", () => {
    expect(new RelayJudge(policy({ unreadableSources: ["mysql:/etc/postfix/domains.cf"] })).serves("gmail.example")).toBeNull();
  });
});

describe("policyHash", () => {
  it("is the same for the same contents in another order, and changes with them", () => {
    const a = policyHash(policy());
    expect(policyHash(policy({ servedDomains: ["localhost", ".hosted.example", "Example.org"] }))).toBe(a);
    expect(policyHash(policy({ servedDomains: ["example.org"] }))).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
  });
});
