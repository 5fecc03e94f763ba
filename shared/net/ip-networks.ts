import { BlockList, isIP, SocketAddress } from "node:net";

/** A parsed CIDR block. */
export interface IpNetwork {
  /** As written in the config. */
  text: string;
  family: 4 | 6;
  /** Network address, canonical (IPv4-mapped IPv6 written as IPv4). */
  address: string;
  /** Prefix length in bits. */
  prefix: number;
}

/** Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a /32 or /128); throws naming the value. */
export function parseCidr(text: string): IpNetwork {
  const slash = text.indexOf("/");
  const address = canonicalIp(slash < 0 ? text : text.slice(0, slash));
  if (address === null) throw new RangeError(`${JSON.stringify(text)} is not an IP address or CIDR block`);
  const family = isIP(address) === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) throw new RangeError(`${JSON.stringify(text)} has a prefix length outside 0..${max}`);
  return { text, family, address, prefix };
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
 * One spelling per address, or null when it is not one: brackets and zone id
 * dropped, IPv6 compressed and lower-case (2001:DB8:0::1 → 2001:db8::1), and
 * IPv4-mapped IPv6 (::ffff:1.2.3.4) written as IPv4, as the MTA parsers and
 * socket rows show it.
 */
export function canonicalIp(address: string): string | null {
  const plain = (address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address).split("%")[0] ?? "";
  const version = isIP(plain);
  if (version === 0) return null;
  const text = new SocketAddress({ address: plain, family: version === 4 ? "ipv4" : "ipv6" }).address;
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/.test(text) ? text.slice(7) : text;
}

/**
 * A set of networks, e.g. the trusted networks or a relay-check fleet list,
 * matched by node:net's BlockList. One list per family: BlockList would
 * match an IPv4 address against an IPv6 rule such as ::/0 (as ::ffff:a.b.c.d),
 * while an IPv4 address is only ever in an IPv4 network here.
 */
export class IpNetworks {
  readonly networks: readonly IpNetwork[];
  readonly #v4 = new BlockList();
  readonly #v6 = new BlockList();
  constructor(cidrs: readonly string[]) {
    this.networks = cidrs.map(parseCidr);
    for (const n of this.networks) (n.family === 4 ? this.#v4 : this.#v6).addSubnet(n.address, n.prefix, n.family === 4 ? "ipv4" : "ipv6");
  }
  /** True when `address` lies in one of the networks (false for a non-address). */
  has(address: string): boolean {
    const ip = canonicalIp(address);
    if (ip === null) return false;
    return isIP(ip) === 4 ? this.#v4.check(ip, "ipv4") : this.#v6.check(ip, "ipv6");
  }
}

/** True when `address` lies in `network` (false for another family or a non-address). */
export function inNetwork(address: string, network: IpNetwork): boolean {
  return new IpNetworks([`${network.address}/${network.prefix}`]).has(address);
}

/** The network an address belongs to for "how many networks" counts: the /24 of IPv4, the /48 of IPv6. */
export function networkOf(address: string): string {
  const ip = canonicalIp(address);
  if (ip === null) return address;
  if (isIP(ip) === 4) return `${ip.split(".").slice(0, 3).join(".")}.0/24`;
  // The first three groups, with "::" expanded to the zero groups it stands for.
  const [head = "", tail = ""] = ip.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = ip.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const groups = [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  return `${groups.slice(0, 3).map((g) => Number.parseInt(g, 16).toString(16)).join(":")}::/48`;
}
