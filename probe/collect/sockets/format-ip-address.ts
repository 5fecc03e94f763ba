import { isIPv4, isIPv6 } from "node:net";

/** Dotted-quad text for 4 bytes in network order. */
export function formatIpv4Bytes(bytes: ArrayLike<number>): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * Canonical text (RFC 5952: lowercase, no leading zeros, the first longest
 * run of two or more zero groups shortened to "::") for 16 bytes in network
 * order. IPv4-mapped addresses (::ffff:a.b.c.d) are shown as plain IPv4
 * because that is what the peer really is, and what lsof prints.
 */
export function formatIpv6Bytes(bytes: ArrayLike<number>): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  return formatIpv6Words(words);
}

/** Same as formatIpv6Bytes, for eight 16-bit groups. */
export function formatIpv6Words(words: readonly number[]): string {
  if (words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0 && words[4] === 0 && words[5] === 0xffff) {
    const hi = words[6] ?? 0;
    const lo = words[7] ?? 0;
    return formatIpv4Bytes([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(":");
  if (bestLength < 2) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Eight 16-bit groups of an IPv6 address in text form (zone id ignored), or null when it is not valid IPv6. */
export function parseIpv6Words(text: string): number[] | null {
  const zone = text.indexOf("%");
  const address = zone >= 0 ? text.slice(0, zone) : text;
  if (!isIPv6(address)) return null;
  const toWords = (part: string): number[] => {
    if (part === "") return [];
    const words: number[] = [];
    for (const group of part.split(":")) {
      if (group.includes(".")) {
        const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
        words.push((a << 8) | b, (c << 8) | d);
      } else {
        words.push(parseInt(group, 16));
      }
    }
    return words;
  };
  const gap = address.indexOf("::");
  if (gap < 0) return toWords(address);
  const head = toWords(address.slice(0, gap));
  const tail = toWords(address.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * Rewrites an address printed by another tool (e.g. lsof, whose IPv6 text
 * depends on the platform's inet_ntop) into the same canonical form the
 * /proc parser produces; text that is not an IP address is returned as is.
 */
export function normalizeIpAddress(text: string): string {
  if (isIPv4(text)) return text;
  const words = parseIpv6Words(text);
  return words === null ? text : formatIpv6Words(words);
}
