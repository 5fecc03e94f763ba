import type { LogClock } from "../time/log-clock.js";
import type { LogLinePrefix } from "./parse-syslog-prefix.js";

/**
 * The fast path of parseSyslogPrefix for lines of an all-ASCII chunk, read
 * from its bytes: V8 reads a typed array several times faster than the
 * characters of a sliced string, and host names and program tags (the same
 * few on every line) come from a cache instead of a new string per line.
 *
 * It takes only the common shapes `Mmm dd hh:mm:ss host prog[pid]: message`
 * (or `prog: message`) and Exim's mainlog `yyyy-mm-dd hh:mm:ss message`, and
 * declines everything else — fractions, `<fac.pri>`, no host field, RFC 3339,
 * time zones, Solaris `[ID ...]` tags, odd pids —, so the caller falls back
 * to parseSyslogPrefix on the line's text. On the lines it
 * takes, the result equals parseSyslogPrefix's (checked by a fuzz target).
 */
export class AsciiPrefixReader {
  /** Whether `host` is filled in; a caller that never reads it saves a lookup per line (it is then null). */
  private readonly hosts: boolean;
  private readonly names: string[] = new Array<string>(NAME_SLOTS).fill("");
  /** The bytes of `names`, compared with the line's (typed arrays compare faster than a string's characters). */
  private readonly nameBytes: Uint8Array[] = Array.from({ length: NAME_SLOTS }, () => new Uint8Array(0));

  constructor(options: { hosts?: boolean } = {}) {
    this.hosts = options.hosts ?? true;
  }

  /**
   * Reads the prefix of the line `bytes[start..end)` into `out` (`text` holds
   * the same characters as `bytes`, one per byte) and returns true, or returns
   * false, leaving `out` unspecified, when the line is not of the common shape.
   */
  read(text: string, bytes: Uint8Array, start: number, end: number, clock: LogClock, out: LogLinePrefix): boolean {
    if (end - start < 20) return false;
    const m0 = bytes[start] as number;
    if (m0 >= ZERO && m0 <= NINE) return readIso(text, bytes, start, end, clock, out);
    const m1 = bytes[start + 1] as number;
    const m2 = bytes[start + 2] as number;
    const month0 = monthIndex(m0, m1, m2);
    if (month0 < 0 || bytes[start + 3] !== SPACE) return false;
    let i = start + 4;
    if (bytes[i] === SPACE) i++;
    let day = digitAt(bytes, i);
    if (day < 0) return false;
    i++;
    const d2 = digitAt(bytes, i);
    if (d2 >= 0) {
      day = day * 10 + d2;
      i++;
    }
    if (day < 1 || day > 31 || bytes[i] !== SPACE) return false;
    i++;
    if (i + 9 > end || bytes[i + 2] !== COLON || bytes[i + 5] !== COLON || bytes[i + 8] !== SPACE) return false;
    const hour = twoAt(bytes, i);
    const minute = twoAt(bytes, i + 3);
    const second = twoAt(bytes, i + 6);
    if (hour < 0 || minute < 0 || second < 0 || hour > 23 || minute > 59 || second > 60) return false;
    i += 9;
    // Host: up to the next space; a host ending in ':' is a program tag (no host field): declined.
    // (indexOf on the chunk's text finds the spaces; one past `end` means the line has none.)
    const hostStart = i;
    if (bytes[i] === LT) return false;
    const hostEnd = text.indexOf(" ", i);
    if (hostEnd === hostStart || hostEnd < 0 || hostEnd >= end || bytes[hostEnd - 1] === COLON) return false;
    // Program tag `prog[pid]:` or `prog:` up to the next space.
    const progStart = hostEnd + 1;
    const tokenEnd = text.indexOf(" ", progStart);
    if (tokenEnd < 0 || tokenEnd >= end) return false;
    let nameEnd = tokenEnd - 1;
    if (bytes[nameEnd] !== COLON || nameEnd <= progStart) return false;
    let pid: number | null = null;
    if (bytes[nameEnd - 1] === CLOSE_BRACKET) {
      let j = nameEnd - 2;
      let value = 0;
      let scale = 1;
      while (j > progStart) {
        const d = (bytes[j] as number) - ZERO;
        if (d < 0 || d > 9) break;
        value += d * scale;
        scale *= 10;
        j--;
      }
      const digits = nameEnd - 2 - j;
      if (bytes[j] !== OPEN_BRACKET || j <= progStart || digits < 1 || digits > 15) return false;
      pid = value;
      nameEnd = j;
    }
    const msgStart = tokenEnd + 1;
    // Solaris `[ID 197553 mail.info] `: declined, parseSyslogPrefix strips it.
    if (bytes[msgStart] === OPEN_BRACKET && bytes[msgStart + 1] === 73 /* I */) return false;
    out.ts_unix_ms = clock.bsdToUnixMs(month0, day, hour, minute, second, 0);
    out.format = "bsd";
    out.host = this.hosts ? this.name(text, bytes, hostStart, hostEnd) : null;
    out.program = this.name(text, bytes, progStart, nameEnd);
    out.pid = pid;
    out.message = msgStart >= end ? "" : text.slice(msgStart, end);
    return true;
  }

  /** The string of `bytes[start..end)`, from the cache when the same name was met before. */
  private name(text: string, bytes: Uint8Array, start: number, end: number): string {
    const len = end - start;
    // Length, both ends and the middle: cheaper than hashing every byte, and names of one log rarely collide in 256 slots.
    const edges = (bytes[start] as number) | ((bytes[start + (len > 1 ? 1 : 0)] as number) << 8) | ((bytes[end - 1] as number) << 16) | ((bytes[end - (len > 1 ? 2 : 1)] as number) << 24);
    let hash = Math.imul(edges, 0x9e3779b1) ^ Math.imul(len * 257 + (bytes[start + (len >> 1)] as number), 0x85ebca6b);
    hash ^= hash >>> 15;
    // Two ways per set: the slot and its neighbour; a new name goes to the slot, its old name to the neighbour.
    const slot = hash & (NAME_SLOTS - 1);
    if (this.sameBytes(slot, bytes, start, len)) return this.names[slot] as string;
    const other = slot ^ 1;
    if (this.sameBytes(other, bytes, start, len)) return this.names[other] as string;
    this.names[other] = this.names[slot] as string;
    this.nameBytes[other] = this.nameBytes[slot] as Uint8Array;
    // A copy, not a slice: a slice would keep the whole chunk's text alive while cached.
    const fresh = flatCopy(text.slice(start, end));
    this.names[slot] = fresh;
    this.nameBytes[slot] = new Uint8Array(bytes.subarray(start, end)); // a copy (Buffer.slice would be a view)
    return fresh;
  }

  private sameBytes(slot: number, bytes: Uint8Array, start: number, len: number): boolean {
    const cached = this.nameBytes[slot] as Uint8Array;
    if (cached.length !== len) return false;
    let k = 0;
    while (k < len && cached[k] === bytes[start + k]) k++;
    return k === len;
  }
}

/** Exim's mainlog line `yyyy-mm-dd hh:mm:ss message` (at least 20 characters); a fraction or a zone is declined. */
function readIso(text: string, bytes: Uint8Array, start: number, end: number, clock: LogClock, out: LogLinePrefix): boolean {
  if (bytes[start + 4] !== DASH || bytes[start + 7] !== DASH || bytes[start + 10] !== SPACE || bytes[start + 13] !== COLON || bytes[start + 16] !== COLON || bytes[start + 19] !== SPACE) return false;
  const y1 = twoAt(bytes, start);
  const y2 = twoAt(bytes, start + 2);
  const month = twoAt(bytes, start + 5);
  const day = twoAt(bytes, start + 8);
  const hour = twoAt(bytes, start + 11);
  const minute = twoAt(bytes, start + 14);
  const second = twoAt(bytes, start + 17);
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1 || day > 31) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return false;
  // `log_timezone = true` appends " +0100": left to parseSyslogPrefix.
  const z = bytes[start + 20];
  if (z === PLUS || z === DASH) return false;
  out.ts_unix_ms = clock.localToUnixMs(y1 * 100 + y2, month - 1, day, hour, minute, second, 0);
  out.format = "iso";
  out.host = null;
  out.program = null;
  out.pid = null;
  out.message = text.slice(start + 20, end);
  return true;
}

/** Cache slots for host names and program tags (a power of two). */
const NAME_SLOTS = 256;
const SPACE = 32;
const COLON = 58;
const ZERO = 48;
const NINE = 57;
const PLUS = 43;
const DASH = 45;
const LT = 60;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/** A string with its own characters (V8 otherwise keeps a slice's parent string alive). */
function flatCopy(s: string): string {
  return Buffer.from(s, "latin1").toString("latin1");
}

function digitAt(bytes: Uint8Array, i: number): number {
  const d = (bytes[i] as number) - ZERO;
  return d >= 0 && d <= 9 ? d : -1;
}

function twoAt(bytes: Uint8Array, i: number): number {
  const a = digitAt(bytes, i);
  const b = digitAt(bytes, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** 0..11 for `Jan`..`Dec` (exact case), else -1. */
function monthIndex(a: number, b: number, c: number): number {
  switch (a) {
    case 74: // J
      if (b === 97 && c === 110) return 0; // Jan
      if (b === 117 && c === 110) return 5; // Jun
      if (b === 117 && c === 108) return 6; // Jul
      return -1;
    case 70: // F
      return b === 101 && c === 98 ? 1 : -1; // Feb
    case 77: // M
      if (b === 97 && c === 114) return 2; // Mar
      if (b === 97 && c === 121) return 4; // May
      return -1;
    case 65: // A
      if (b === 112 && c === 114) return 3; // Apr
      if (b === 117 && c === 103) return 7; // Aug
      return -1;
    case 83: // S
      return b === 101 && c === 112 ? 8 : -1; // Sep
    case 79: // O
      return b === 99 && c === 116 ? 9 : -1; // Oct
    case 78: // N
      return b === 111 && c === 118 ? 10 : -1; // Nov
    case 68: // D
      return b === 101 && c === 99 ? 11 : -1; // Dec
    default:
      return -1;
  }
}
