import { describe, expect, it } from "vitest";
import { canonicalIp, IpNetworks, inNetwork, networkOf, parseCidr } from "./ip-networks.js";

describe("parseCidr", () => {
  it.each<{ input: string; output?: { family: number; prefix: number }; error?: string }>([
    { input: "10.0.0.0/8", output: { family: 4, prefix: 8 } },
    { input: "192.0.2.7", output: { family: 4, prefix: 32 } },
    { input: "2001:db8::/32", output: { family: 6, prefix: 32 } },
    { input: "::1", output: { family: 6, prefix: 128 } },
    { input: "10.0.0.0/33", error: '"10.0.0.0/33" has a prefix length outside 0..32' },
    { input: "mail.example", error: '"mail.example" is not an IP address or CIDR block' },
    { input: "10.0.0.0/x", error: '"10.0.0.0/x" has a prefix length outside 0..32' },
  ])("$input", ({ input, output, error }) => {
    if (error) expect(() => parseCidr(input)).toThrow(error);
    else expect(parseCidr(input)).toMatchObject(output!);
  });
});

describe("inNetwork / IpNetworks", () => {
  it.each<{ address: string; cidr: string; inside: boolean }>([
    { address: "127.0.0.41", cidr: "127.0.0.0/8", inside: true },
    { address: "127.0.0.41", cidr: "127.0.0.1/32", inside: false },
    { address: "10.1.2.3", cidr: "10.1.2.0/23", inside: true },
    { address: "10.1.4.3", cidr: "10.1.2.0/23", inside: false },
    { address: "0.0.0.1", cidr: "0.0.0.0/0", inside: true },
    { address: "::ffff:192.0.2.5", cidr: "192.0.2.0/24", inside: true },
    { address: "2001:db8:1::5", cidr: "2001:db8::/32", inside: true },
    { address: "2001:db9::5", cidr: "2001:db8::/32", inside: false },
    { address: "2001:db8::5", cidr: "2001:db8::/31", inside: true },
    { address: "::1", cidr: "::1/128", inside: true },
    { address: "192.0.2.5", cidr: "::/0", inside: false },
    { address: "unknown", cidr: "0.0.0.0/0", inside: false },
    { address: "[::1]", cidr: "::1/128", inside: true },
  ])("$address in $cidr = $inside", ({ address, cidr, inside }) => {
    expect(inNetwork(address, parseCidr(cidr))).toBe(inside);
    expect(new IpNetworks([cidr]).has(address)).toBe(inside);
  });

  it("reads IPv6 with an embedded IPv4 tail", () => {
    expect(canonicalIp("64:ff9b::192.0.2.1")).toBe("64:ff9b::c000:201");
    expect(new IpNetworks(["64:ff9b::c000:200/120"]).has("64:ff9b::192.0.2.1")).toBe(true);
  });
  it.each([
    ["::ffff:192.0.2.5", "192.0.2.5"],
    ["::FFFF:c000:205", "192.0.2.5"],
    ["2001:DB8:0:0::1", "2001:db8::1"],
    ["[::1]", "::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["mail.example", null],
  ])("writes %s as %s", (address, canonical) => expect(canonicalIp(address)).toBe(canonical));
});

describe("networkOf", () => {
  it.each([
    ["203.0.113.77", "203.0.113.0/24"],
    ["2001:db8:abcd:1::2", "2001:db8:abcd::/48"],
    ["2001:db8::2", "2001:db8:0::/48"],
    ["::ffff:203.0.113.77", "203.0.113.0/24"],
    ["not-an-ip", "not-an-ip"],
  ])("%s -> %s", (address, network) => expect(networkOf(address)).toBe(network));
});
