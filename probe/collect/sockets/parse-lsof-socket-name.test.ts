import { describe, expect, it } from "vitest";
import { parseLsofSocketName, type LsofSocketEndpoints } from "./parse-lsof-socket-name.js";

describe("parseLsofSocketName", () => {
  it.each<{ input: string; family: "IPv4" | "IPv6"; output: LsofSocketEndpoints | null }>([
    { input: "127.0.0.1:38663", family: "IPv4", output: { local_address: "127.0.0.1", local_port: 38663, remote_address: "0.0.0.0", remote_port: 0 } },
    { input: "*:25", family: "IPv4", output: { local_address: "0.0.0.0", local_port: 25, remote_address: "0.0.0.0", remote_port: 0 } },
    { input: "*:44905", family: "IPv6", output: { local_address: "::", local_port: 44905, remote_address: "::", remote_port: 0 } },
    { input: "[::1]:587", family: "IPv6", output: { local_address: "::1", local_port: 587, remote_address: "::", remote_port: 0 } },
    { input: "[::1]:52028->[::1]:44905", family: "IPv6", output: { local_address: "::1", local_port: 52028, remote_address: "::1", remote_port: 44905 } },
    { input: "10.1.2.3:51234->203.0.113.5:25", family: "IPv4", output: { local_address: "10.1.2.3", local_port: 51234, remote_address: "203.0.113.5", remote_port: 25 } },
    // Linux lsof shows an IPv4-mapped connection on an IPv6 socket as IPv4.
    { input: "127.0.0.1:41587->127.0.0.1:41786", family: "IPv6", output: { local_address: "127.0.0.1", local_port: 41587, remote_address: "127.0.0.1", remote_port: 41786 } },
    { input: "[::ffff:192.0.2.10]:25->[2001:DB8:0::25]:40000", family: "IPv6", output: { local_address: "192.0.2.10", local_port: 25, remote_address: "2001:db8::25", remote_port: 40000 } },
    { input: "[fe80::1%eth0]:25", family: "IPv6", output: { local_address: "fe80::1", local_port: 25, remote_address: "::", remote_port: 0 } },
    { input: "127.0.0.1:25 (LISTEN)", family: "IPv4", output: { local_address: "127.0.0.1", local_port: 25, remote_address: "0.0.0.0", remote_port: 0 } },
    { input: "*:*", family: "IPv4", output: { local_address: "0.0.0.0", local_port: 0, remote_address: "0.0.0.0", remote_port: 0 } },
    { input: "localhost:smtp", family: "IPv4", output: null },
    { input: "127.0.0.1:99999", family: "IPv4", output: null },
    { input: "127.0.0.1", family: "IPv4", output: null },
    { input: "10.0.0.1:1->", family: "IPv4", output: null },
    { input: "", family: "IPv4", output: null },
  ])("$input ($family)", ({ input, family, output }) => {
    expect(parseLsofSocketName(input, family)).toEqual(output);
  });
});
