import { isIP } from "node:net";
import { canonicalIp } from "../vocabulary/ip-networks.js";

/**
 * The name a DNSBL is asked for an address (RFC 5782 §2.1, §2.4): IPv4
 * octets reversed (192.0.2.99 → 99.2.0.192.<zone>), IPv6 as 32 nibbles
 * reversed, each a label (2001:db8::1 → 1.0.0. ... .8.b.d.0.1.0.0.2.<zone>).
 * Throws for a non-address.
 */
export function dnsblQueryName(address: string, zone: string): string {
  const ip = canonicalIp(address);
  if (ip === null) throw new RangeError(`${JSON.stringify(address)} is not an IP address`);
  if (isIP(ip) === 4) return `${ip.split(".").reverse().join(".")}.${zone}`;
  return `${expandIpv6(ip).split("").reverse().join(".")}.${zone}`;
}

/** The 32 hex digits of an IPv6 address. */
function expandIpv6(ip: string): string {
  // A trailing dotted IPv4 part (64:ff9b::192.0.2.1) is two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    ip = `${ip.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail = ""] = ip.split("::");
  const part = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const headGroups = part(head);
  const tailGroups = ip.includes("::") ? part(tail) : [];
  const groups = [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  return groups.map((g) => g.padStart(4, "0")).join("");
}
