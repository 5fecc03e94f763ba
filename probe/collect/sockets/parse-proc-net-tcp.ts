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
   * When given, lines whose local and remote ports are both outside this set
   * are dropped before being decoded or validated (they are not counted as
   * skipped): a busy host has tens of thousands of sockets and only a few
   * are SMTP.
   */
  ports?: ReadonlySet<number>;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

function hex4(text: string, at: number): number {
  let value = 0;
  for (let i = at; i < at + 4; i++) {
    const digit = hexDigit(text.charCodeAt(i));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/**
 * True when the line [start, end) is in the kernel's fixed layout
 * ("%4d: %08X:%04X %08X:%04X %02X ...", addresses 32 hex digits in tcp6) and
 * neither of its ports is watched. Reads characters in place, without
 * allocating, because this runs for every socket of the host twice a second.
 */
function isUnwatchedLine(text: string, start: number, end: number, addressLength: number, ports: ReadonlySet<number>): boolean {
  // Searched within the line only: indexOf would scan on through every following line without a
  // colon, once per line (quadratic on a text of blank lines).
  let colon = start;
  while (colon < end && text.charCodeAt(colon) !== 58) colon++;
  if (colon >= end) return false;
  const local = colon + 2 + addressLength + 1;
  const remote = local + 4 + 1 + addressLength + 1;
  if (remote + 4 > end || text.charCodeAt(local - 1) !== 58 || text.charCodeAt(remote - 1) !== 58) return false;
  const localPort = hex4(text, local);
  const remotePort = hex4(text, remote);
  return localPort >= 0 && remotePort >= 0 && !ports.has(localPort) && !ports.has(remotePort);
}

/**
 * Parses the text of /proc/net/tcp (proto "tcp") or /proc/net/tcp6 ("tcp6").
 * Never throws: malformed lines are skipped and counted.
 */
export function parseProcNetTcp(text: string, proto: "tcp" | "tcp6", options: ParseProcNetTcpOptions = {}): ParsedProcNetTcp {
  const byteOrder = options.byteOrder ?? endianness();
  const ports = options.ports;
  const rows: ProcNetTcpRow[] = [];
  let skipped = 0;
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf("\n", start);
    const end = newline < 0 ? text.length : newline;
    const lineStart = start;
    start = end + 1;
    if (ports !== undefined && isUnwatchedLine(text, lineStart, end, ADDRESS_HEX_LENGTH[proto], ports)) continue;
    const line = text.slice(lineStart, end);
    const fields = line.trim().split(/\s+/);
    const [slot, local, remote, st, , , , uid, , inode] = fields;
    if (slot === undefined || slot === "" || slot === "sl") continue;
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
      skipped++;
      continue;
    }
    // The fast check above only reads the kernel's fixed layout; a line in any other layout is filtered here.
    if (ports !== undefined && !ports.has(localEndpoint.port) && !ports.has(remoteEndpoint.port)) continue;
    rows.push({
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
  return { rows, skipped };
}
