import type { LogClock } from "../time/log-clock.js";

/** How a line's timestamp was written. */
export type LogLineFormat = "bsd" | "rfc3339" | "iso" | "tai64n";

/**
 * The part of a log line before the message, filled in place by
 * parseSyslogPrefix (one object reused for every line: no allocation per line).
 */
export interface LogLinePrefix {
  /** Line time, unix epoch milliseconds. */
  ts_unix_ms: number;
  /** Timestamp style: `bsd` (`Nov 29 07:04:10`), `rfc3339`, `iso` (`2026-11-29 07:04:10`, Exim mainlog), `tai64n` (multilog `@4000...`). */
  format: LogLineFormat;
  /** Host name field, or null (Dovecot's own log file, Exim mainlog, multilog). */
  host: string | null;
  /** Program tag without pid (`postfix/submission/smtpd`, `sm-mta`, `dovecot`), or null when the line has none. */
  program: string | null;
  /** Pid from `prog[pid]:`, or null. */
  pid: number | null;
  /** Text after the program tag (after the timestamp for `iso` and `tai64n`), Solaris `[ID n fac.pri]` tag removed. */
  message: string;
}

/** A fresh prefix record to pass to parseSyslogPrefix. */
export function newLogLinePrefix(): LogLinePrefix {
  return { ts_unix_ms: 0, format: "bsd", host: null, program: null, pid: null, message: "" };
}

const MONTHS = new Map<number, number>(
  ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map((m, i) => [
    (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2),
    i,
  ]),
);

const CH_0 = 48;
const CH_SPACE = 32;
const CH_COLON = 58;

function digit(line: string, i: number): number {
  const d = line.charCodeAt(i) - CH_0;
  return d >= 0 && d <= 9 ? d : -1;
}

/** Two digits at i as a number, or -1. */
function two(line: string, i: number): number {
  const a = digit(line, i);
  const b = digit(line, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** Parses `.ddd...` at i; returns [millis, index after] (millis 0 and i when absent). */
function fraction(line: string, i: number, out: { ms: number }): number {
  out.ms = 0;
  if (line.charCodeAt(i) !== 46) return i;
  let j = i + 1;
  let scale = 100;
  let ms = 0;
  for (let d = digit(line, j); d >= 0; d = digit(line, ++j)) {
    ms += d * scale;
    scale /= 10;
  }
  out.ms = Math.floor(ms);
  return j;
}

const frac = { ms: 0 };

/**
 * Reads the timestamp, host and program tag of a mail log line into `out`.
 * Accepts BSD syslog (`Nov 29 07:04:10 host prog[pid]: msg`, also `Nov  9`,
 * `Nov 9`, fractional seconds, a `<fac.pri>` tag, no host), RFC 3339 syslog
 * (`2026-11-29T07:04:10.123456+00:00 host prog[pid]: msg`), ISO lines without
 * program (Exim mainlog `2026-11-29 07:04:10[.ddd][ +0100] msg`) and multilog
 * TAI64N (`@4000000... msg`). Returns false, leaving `out` unspecified, for
 * anything else. Never throws.
 */
export function parseSyslogPrefix(line: string, clock: LogClock, out: LogLinePrefix): boolean {
  const c0 = line.charCodeAt(0);
  if (c0 >= 65 && c0 <= 90) return parseBsd(line, clock, out);
  if (c0 >= 48 && c0 <= 57) return parseIso(line, clock, out);
  if (c0 === 64) return parseTai64n(line, out);
  return false;
}

function parseBsd(line: string, clock: LogClock, out: LogLinePrefix): boolean {
  const month0 = MONTHS.get((line.charCodeAt(0) << 16) | (line.charCodeAt(1) << 8) | line.charCodeAt(2));
  if (month0 === undefined || line.charCodeAt(3) !== CH_SPACE) return false;
  let i = 4;
  if (line.charCodeAt(i) === CH_SPACE) i++;
  let day = digit(line, i);
  if (day < 0) return false;
  i++;
  const d2 = digit(line, i);
  if (d2 >= 0) {
    day = day * 10 + d2;
    i++;
  }
  if (day < 1 || day > 31 || line.charCodeAt(i) !== CH_SPACE) return false;
  i++;
  const hour = two(line, i);
  const minute = two(line, i + 3);
  const second = two(line, i + 6);
  if (hour < 0 || minute < 0 || second < 0 || hour > 23 || minute > 59 || second > 60) return false;
  if (line.charCodeAt(i + 2) !== CH_COLON || line.charCodeAt(i + 5) !== CH_COLON) return false;
  i = fraction(line, i + 8, frac);
  if (line.charCodeAt(i) !== CH_SPACE) return false;
  out.ts_unix_ms = clock.bsdToUnixMs(month0, day, hour, minute, second, frac.ms);
  out.format = "bsd";
  return parseHostAndProgram(line, i + 1, out);
}

function parseIso(line: string, clock: LogClock, out: LogLinePrefix): boolean {
  const y1 = two(line, 0);
  const y2 = two(line, 2);
  const month = two(line, 5);
  const day = two(line, 8);
  const hour = two(line, 11);
  const minute = two(line, 14);
  const second = two(line, 17);
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1 || day > 31) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return false;
  if (line.charCodeAt(4) !== 45 || line.charCodeAt(7) !== 45 || line.charCodeAt(13) !== CH_COLON || line.charCodeAt(16) !== CH_COLON) {
    return false;
  }
  const year = y1 * 100 + y2;
  const sep = line.charCodeAt(10);
  let i = fraction(line, 19, frac);
  if (sep === 84 /* T */) {
    // RFC 3339: the zone is mandatory.
    let offsetMin = 0;
    const z = line.charCodeAt(i);
    if (z === 90 /* Z */) {
      i++;
    } else if (z === 43 || z === 45) {
      const oh = two(line, i + 1);
      const om = line.charCodeAt(i + 3) === CH_COLON ? two(line, i + 4) : two(line, i + 3);
      if (oh < 0 || om < 0) return false;
      offsetMin = (z === 43 ? 1 : -1) * (oh * 60 + om);
      i += line.charCodeAt(i + 3) === CH_COLON ? 6 : 5;
    } else {
      return false;
    }
    if (line.charCodeAt(i) !== CH_SPACE) return false;
    out.ts_unix_ms = Date.UTC(year, month - 1, day, hour, minute, second, frac.ms) - offsetMin * 60_000;
    out.format = "rfc3339";
    return parseHostAndProgram(line, i + 1, out);
  }
  if (sep !== CH_SPACE || line.charCodeAt(i) !== CH_SPACE) return false;
  i++;
  // Exim `log_timezone = true` appends " +0100".
  const z = line.charCodeAt(i);
  if ((z === 43 || z === 45) && line.charCodeAt(i + 5) === CH_SPACE) {
    const oh = two(line, i + 1);
    const om = two(line, i + 3);
    if (oh >= 0 && om >= 0) {
      const offsetMin = (z === 43 ? 1 : -1) * (oh * 60 + om);
      out.ts_unix_ms = Date.UTC(year, month - 1, day, hour, minute, second, frac.ms) - offsetMin * 60_000;
      i += 6;
    } else {
      out.ts_unix_ms = clock.localToUnixMs(year, month - 1, day, hour, minute, second, frac.ms);
    }
  } else {
    out.ts_unix_ms = clock.localToUnixMs(year, month - 1, day, hour, minute, second, frac.ms);
  }
  out.format = "iso";
  out.host = null;
  out.program = null;
  out.pid = null;
  out.message = line.slice(i);
  return true;
}

function parseTai64n(line: string, out: LogLinePrefix): boolean {
  // @ + 16 hex seconds (2^62 + TAI seconds) + 8 hex nanoseconds.
  if (line.length < 26 || line.charCodeAt(25) !== CH_SPACE || line.charCodeAt(1) !== 52 /* 4 */) return false;
  const secs = parseInt(line.slice(2, 17), 16);
  const nanos = parseInt(line.slice(17, 25), 16);
  if (!Number.isFinite(secs) || !Number.isFinite(nanos)) return false;
  // TAI runs 10 s ahead of the UTC origin daemontools' tai64nlocal assumes.
  out.ts_unix_ms = (secs - 10) * 1000 + Math.floor(nanos / 1e6);
  out.format = "tai64n";
  out.host = null;
  out.program = null;
  out.pid = null;
  out.message = line.slice(26);
  return true;
}

/** After the timestamp: `[<fac.pri> ]host prog[pid]: msg` or `prog[pid]: msg` (no host). */
function parseHostAndProgram(line: string, start: number, out: LogLinePrefix): boolean {
  let i = start;
  if (line.charCodeAt(i) === 60 /* < */) {
    const close = line.indexOf("> ", i);
    if (close < 0) return false;
    i = close + 2;
  }
  const hostEnd = line.indexOf(" ", i);
  if (hostEnd <= i) return false;
  if (line.charCodeAt(hostEnd - 1) === CH_COLON) {
    // No host field: Dovecot's own log file, some relays.
    out.host = null;
    return parseProgram(line, i, hostEnd, out);
  }
  out.host = line.slice(i, hostEnd);
  const progStart = hostEnd + 1;
  const progEnd = line.indexOf(" ", progStart);
  if (progEnd < 0) {
    // "host prog:" with an empty message.
    if (line.charCodeAt(line.length - 1) !== CH_COLON || line.length - 1 <= progStart) return false;
    return parseProgram(line, progStart, line.length, out);
  }
  if (line.charCodeAt(progEnd - 1) !== CH_COLON || progEnd - 1 <= progStart) return false;
  return parseProgram(line, progStart, progEnd, out);
}

/** `tokenStart..tokenEnd` is `prog[pid]:` or `prog:` (tokenEnd at the space after the colon). */
function parseProgram(line: string, tokenStart: number, tokenEnd: number, out: LogLinePrefix): boolean {
  let nameEnd = tokenEnd - 1;
  out.pid = null;
  if (line.charCodeAt(nameEnd - 1) === 93 /* ] */) {
    const open = line.lastIndexOf("[", nameEnd - 1);
    if (open > tokenStart) {
      let pid = 0;
      let ok = nameEnd - 1 > open + 1 && nameEnd - 1 - open <= 16;
      for (let j = open + 1; ok && j < nameEnd - 1; j++) {
        const d = line.charCodeAt(j) - CH_0;
        if (d < 0 || d > 9) ok = false;
        else pid = pid * 10 + d;
      }
      out.pid = ok ? pid : null;
      nameEnd = open;
    }
  }
  if (nameEnd <= tokenStart) return false;
  out.program = line.slice(tokenStart, nameEnd);
  let msgStart = tokenEnd + 1;
  // Solaris syslog inserts "[ID 197553 mail.info] " before the message.
  if (line.startsWith("[ID ", msgStart)) {
    const close = line.indexOf("] ", msgStart);
    if (close > 0) msgStart = close + 2;
  }
  out.message = msgStart >= line.length ? "" : line.slice(msgStart);
  return true;
}
