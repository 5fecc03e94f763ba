import { endianness } from "node:os";
import { formatIpv4Bytes, formatIpv6Bytes } from "./format-ip-address.js";
import { tcpStateNameFromCode } from "./tcp-state-name.js";

/** One socket line of /proc/net/tcp or /proc/net/tcp6, decoded. */
export interface ProcNetTcpRow {
  /** "tcp" for /proc/net/tcp, "tcp6" for /proc/net/tcp6 (which also holds IPv4-mapped sockets). */
  proto: "tcp" | "tcp6";
  /** Kernel state name, e.g. "ESTABLISHED". */
  state: string;
  /** Local IP address as text (IPv4-mapped IPv6 shown as IPv4). */
  local_address: string;
  /** Local TCP port. */
  local_port: number;
  /** Remote IP address as text. */
  remote_address: string;
  /** Remote TCP port. */
  remote_port: number;
  /** Uid that owns the socket (0 for TIME_WAIT and other sockets no longer attached to a process). */
  uid: number;
  /** Socket inode as a decimal string; "0" when no file descriptor refers to it (e.g. TIME_WAIT). */
  inode: string;
}

/** Result of parsing one /proc/net/tcp{,6} text: the rows and how many lines could not be parsed. */
export interface ParsedProcNetTcp {
  /** Decoded socket lines, in file order. */
  rows: ProcNetTcpRow[];
  /** Non-empty, non-header lines that did not have the expected shape. */
  skipped: number;
}

const ADDRESS_HEX_LENGTH = { tcp: 8, tcp6: 32 } as const;
const HEX = /^[0-9A-Fa-f]+$/;
const DECIMAL = /^\d+$/;

/**
 * Decodes a /proc/net/tcp address. The kernel prints each 32-bit word of the
 * address (stored in network order) as a host-order integer, so on
 * little-endian hosts every 4-byte group appears byte-reversed.
 */
function decodeAddress(hex: string, byteOrder: "LE" | "BE"): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes: number[] = [];
    for (let i = 0; i < 8; i += 2) wordBytes.push(parseInt(hex.slice(word + i, word + i + 2), 16));
    if (byteOrder === "LE") wordBytes.reverse();
    bytes.push(...wordBytes);
  }
  return bytes.length === 4 ? formatIpv4Bytes(bytes) : formatIpv6Bytes(bytes);
}

function parseEndpoint(
  field: string,
  proto: "tcp" | "tcp6",
  byteOrder: "LE" | "BE",
): { address: string; port: number } | null {
  const colon = field.indexOf(":");
  const addressHex = field.slice(0, colon);
  const portHex = field.slice(colon + 1);
  if (colon < 0 || addressHex.length !== ADDRESS_HEX_LENGTH[proto] || !HEX.test(addressHex)) return null;
  if (portHex.length !== 4 || !HEX.test(portHex)) return null;
  return { address: decodeAddress(addressHex, byteOrder), port: parseInt(portHex, 16) };
}

/** Options for parseProcNetTcp. */
export interface ParseProcNetTcpOptions {
  /** Host byte order; default the running host's (only tests need another). */
  byteOrder?: "LE" | "BE";
  /**
   * When given, only the lines showing one of these ports as a local or
   * remote port (":%04X " in the kernel's layout) are decoded and validated;
   * the others, whatever their shape, are neither returned nor counted as
   * skipped: a busy host has tens of thousands of sockets and only a few
   * are SMTP.
   */
  ports?: ReadonlySet<number>;
}

/**
 * Where the lines with a watched port start, in file order. The kernel prints
 * each endpoint as "%08X:%04X " (tcp6: 32 hex digits before the colon), and no
 * other field is a colon, four hex digits and a space, so each watched port is
 * found with indexOf over the whole text: native string search instead of
 * reading every line in JavaScript (a host's table has thousands of lines,
 * the probe runs without JIT, and a busy host reads it several times a
 * second). Lines found here are still parsed and checked in full.
 */
function watchedLineStarts(text: string, ports: ReadonlySet<number>): number[] {
  const starts: number[] = [];
  for (const port of ports) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) continue;
    const upper = `:${port.toString(16).toUpperCase().padStart(4, "0")} `;
    const needles = upper === upper.toLowerCase() ? [upper] : [upper, upper.toLowerCase()];
    for (const needle of needles) {
      for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) starts.push(text.lastIndexOf("\n", at) + 1);
    }
  }
  // A line with both ports watched is found twice; several ports come in port order.
  starts.sort((a, b) => a - b);
  return starts.filter((start, i) => i === 0 || start !== starts[i - 1]);
}

/**
 * Parses the text of /proc/net/tcp (proto "tcp") or /proc/net/tcp6 ("tcp6").
 * Never throws: malformed lines are skipped and counted (with `ports`, only
 * those showing a watched port are looked at).
 */
export function parseProcNetTcp(text: string, proto: "tcp" | "tcp6", options: ParseProcNetTcpOptions = {}): ParsedProcNetTcp {
  const byteOrder = options.byteOrder ?? endianness();
  const ports = options.ports;
  const parsed: ParsedProcNetTcp = { rows: [], skipped: 0 };
  if (ports !== undefined) {
    for (const start of watchedLineStarts(text, ports)) {
      const newline = text.indexOf("\n", start);
      parseLine(text.slice(start, newline < 0 ? text.length : newline), proto, byteOrder, ports, parsed);
    }
    return parsed;
  }
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf("\n", start);
    const end = newline < 0 ? text.length : newline;
    parseLine(text.slice(start, end), proto, byteOrder, undefined, parsed);
    start = end + 1;
  }
  return parsed;
}

/** Adds one line's row to `into` (or counts it as skipped); header and blank lines add nothing. */
function parseLine(line: string, proto: "tcp" | "tcp6", byteOrder: "LE" | "BE", ports: ReadonlySet<number> | undefined, into: ParsedProcNetTcp): void {
  const fields = line.trim().split(/\s+/);
  const [slot, local, remote, st, , , , uid, , inode] = fields;
  if (slot === undefined || slot === "" || slot === "sl") return;
  const localEndpoint = local === undefined ? null : parseEndpoint(local, proto, byteOrder);
  const remoteEndpoint = remote === undefined ? null : parseEndpoint(remote, proto, byteOrder);
  if (
    !/^\d+:$/.test(slot) ||
    localEndpoint === null ||
    remoteEndpoint === null ||
    st === undefined ||
    st.length !== 2 ||
    !HEX.test(st) ||
    uid === undefined ||
    !DECIMAL.test(uid) ||
    inode === undefined ||
    !DECIMAL.test(inode)
  ) {
    into.skipped++;
    return;
  }
  if (ports !== undefined && !ports.has(localEndpoint.port) && !ports.has(remoteEndpoint.port)) return;
  into.rows.push({
    proto,
    state: tcpStateNameFromCode(parseInt(st, 16)),
    local_address: localEndpoint.address,
    local_port: localEndpoint.port,
    remote_address: remoteEndpoint.address,
    remote_port: remoteEndpoint.port,
    uid: Number(uid),
    inode,
  });
}
