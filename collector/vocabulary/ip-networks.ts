import { isIP } from "node:net";

/** A parsed CIDR block. */
export interface IpNetwork {
  /** As written in the config. */
  text: string;
  family: 4 | 6;
  /** Network address bytes (4 or 16). */
  bytes: Uint8Array;
  /** Prefix length in bits. */
  prefix: number;
}

/** Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a /32 or /128); throws naming the value. */
export function parseCidr(text: string): IpNetwork {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const bytes = ipBytes(address);
  if (bytes === null) throw new RangeError(`${JSON.stringify(text)} is not an IP address or CIDR block`);
  const family = bytes.length === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) throw new RangeError(`${JSON.stringify(text)} has a prefix length outside 0..${max}`);
  return { text, family, bytes, prefix };
}

/** True when `text` parses with {@link parseCidr}. */
export function isCidr(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The 4 or 16 bytes of an IPv4/IPv6 address, or null when it is not one.
 * IPv4-mapped IPv6 (::ffff:1.2.3.4) is returned as IPv4, as the MTA parsers
 * and socket rows show it.
 */
export function ipBytes(address: string): Uint8Array | null {
  const plain = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const version = isIP(plain.split("%")[0] ?? "");
  if (version === 4) return Uint8Array.from(plain.split(".").map(Number));
  if (version !== 6) return null;
  const bytes = ipv6Bytes(plain.split("%")[0]!);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  const out = new Uint8Array(16);
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const q = tail.split(".").map(Number);
    text = `${text.slice(0, lastColon + 1)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const headGroups = head.length > 0 ? head.split(":") : [];
  const restGroups = rest !== undefined && rest.length > 0 ? rest.split(":") : [];
  const groups = [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill("0"), ...restGroups];
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** True when `address` lies in `network` (false for another family or a non-address). */
export function inNetwork(address: string, network: IpNetwork): boolean {
  const bytes = ipBytes(address);
  if (bytes === null || bytes.length !== network.bytes.length) return false;
  let bits = network.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (network.bytes[i]! & mask)) return false;
  }
  return true;
}

/** A set of networks, e.g. the trusted networks or a relay-check fleet list. */
export class IpNetworks {
  readonly networks: readonly IpNetwork[];
  constructor(cidrs: readonly string[]) {
    this.networks = cidrs.map(parseCidr);
  }
  /** True when `address` lies in one of the networks. */
  has(address: string): boolean {
    return this.networks.some((n) => inNetwork(address, n));
  }
}

/** The network an address belongs to for "how many networks" counts: the /24 of IPv4, the /48 of IPv6. */
export function networkOf(address: string): string {
  const bytes = ipBytes(address);
  if (bytes === null) return address;
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.0/24`;
  const g = (i: number): string => ((bytes[i]! << 8) | bytes[i + 1]!).toString(16);
  return `${g(0)}:${g(2)}:${g(4)}::/48`;
}
