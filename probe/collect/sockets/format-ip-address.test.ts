import { describe, expect, it } from "vitest";
import { formatIpv4Bytes, formatIpv6Bytes, formatIpv6Words, normalizeIpAddress, parseIpv6Words } from "./format-ip-address.js";

describe("formatIpv6Words", () => {
  it.each([
    { input: [0, 0, 0, 0, 0, 0, 0, 0], output: "::" },
    { input: [0, 0, 0, 0, 0, 0, 0, 1], output: "::1" },
    { input: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x25], output: "2001:db8::25" },
    { input: [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], output: "2001:db8::1:0:0:1" },
    { input: [0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], output: "2001:db8:0:1:1:1:1:1" },
    { input: [0x2001, 0xdb8, 0, 0, 1, 0, 0, 0], output: "2001:db8:0:0:1::" },
    { input: [0xfe80, 0, 0, 0, 0, 0, 0, 1], output: "fe80::1" },
    { input: [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x020a], output: "192.0.2.10" },
    { input: [0, 0, 0, 0, 0, 0, 0, 2], output: "::2" },
    { input: [0xabcd, 0xef01, 0x2345, 0x6789, 0xabcd, 0xef01, 0x2345, 0x6789], output: "abcd:ef01:2345:6789:abcd:ef01:2345:6789" },
  ])("$output", ({ input, output }) => {
    expect(formatIpv6Words(input)).toBe(output);
  });
});

describe("formatIpv4Bytes / formatIpv6Bytes", () => {
  it("formats network-order bytes", () => {
    expect(formatIpv4Bytes([203, 0, 113, 5])).toBe("203.0.113.5");
    expect(formatIpv6Bytes([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25])).toBe("2001:db8::25");
  });
});

describe("parseIpv6Words", () => {
  it.each([
    { input: "::", output: [0, 0, 0, 0, 0, 0, 0, 0] },
    { input: "::1", output: [0, 0, 0, 0, 0, 0, 0, 1] },
    { input: "2001:DB8::25", output: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x25] },
    { input: "fe80::1%eth0", output: [0xfe80, 0, 0, 0, 0, 0, 0, 1] },
    { input: "::ffff:192.0.2.10", output: [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x020a] },
    { input: "1:2:3:4:5:6:7:8", output: [1, 2, 3, 4, 5, 6, 7, 8] },
    { input: "192.0.2.10", output: null },
    { input: "1::2::3", output: null },
    { input: "localhost", output: null },
  ])("$input", ({ input, output }) => {
    expect(parseIpv6Words(input)).toEqual(output);
  });
});

describe("normalizeIpAddress", () => {
  it.each([
    { input: "127.0.0.1", output: "127.0.0.1" },
    { input: "::ffff:127.0.0.1", output: "127.0.0.1" },
    { input: "2001:DB8:0:0:0::25", output: "2001:db8::25" },
    { input: "::0.0.0.2", output: "::2" },
    { input: "fe80::1%eth0", output: "fe80::1" },
    { input: "0:0:0:0:0:0:0:0", output: "::" },
    { input: "mx.example.com", output: "mx.example.com" },
  ])("$input → $output", ({ input, output }) => {
    expect(normalizeIpAddress(input)).toBe(output);
  });
});
