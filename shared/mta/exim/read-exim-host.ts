import { normalizeIp } from "../text/mail-text.js";

/** An Exim host field: `name (helo) [ip]:port`, any part but the address optional. */
export interface EximHost {
  /** Host name from reverse DNS, or null when Exim logged only `(helo) [ip]`. */
  host: string | null;
  /** HELO/EHLO name shown in parentheses, or null. */
  helo: string | null;
  /** Address inside the brackets (IPv4-mapped IPv6 shown as IPv4), or null. */
  ip: string | null;
  /** Index just after the field. */
  end: number;
}

/**
 * Reads an Exim host field starting at `start` (after `H=` or `failed for `):
 * `mail.example.org [192.0.2.1]:25`, `(helo) [192.0.2.1]`,
 * `name ([10.0.0.1]) [192.0.2.1]`, `[192.0.2.1]`. The parenthesised HELO may
 * itself contain brackets, so the address is the first bracket group outside
 * parentheses. Never throws; fields it cannot find are null.
 */
export function readEximHost(s: string, start: number): EximHost {
  // Every read below checks `i < n` first: a character read past the end is NaN to the program but a
  // deoptimisation (and a second compilation of the callers) to V8.
  const n = s.length;
  let i = start;
  let host: string | null = null;
  let helo: string | null = null;
  let ip: string | null = null;
  const c = i < n ? s.charCodeAt(i) : -1;
  if (c !== 40 /* ( */ && c !== 91 /* [ */) {
    let end = s.indexOf(" ", i);
    if (end < 0) end = n;
    host = s.slice(i, end);
    i = end;
    if (i + 1 < n && s.charCodeAt(i) === 32 && (s.charCodeAt(i + 1) === 40 || s.charCodeAt(i + 1) === 91)) i++;
    else return { host, helo, ip, end: i };
  }
  if (i < n && s.charCodeAt(i) === 40) {
    let depth = 0;
    let j = i;
    for (; j < n; j++) {
      const ch = s.charCodeAt(j);
      if (ch === 40) depth++;
      else if (ch === 41 && --depth === 0) break;
    }
    helo = s.slice(i + 1, j);
    i = j + 1;
    if (i + 1 < n && s.charCodeAt(i) === 32 && s.charCodeAt(i + 1) === 91) i++;
  }
  if (i < n && s.charCodeAt(i) === 91) {
    const close = s.indexOf("]", i);
    if (close > i) {
      ip = normalizeIp(s.slice(i + 1, close));
      i = close + 1;
      if (i + 1 < n && s.charCodeAt(i) === 58 /* :port */ && isDigit(s.charCodeAt(i + 1))) {
        i++;
        while (i < n && isDigit(s.charCodeAt(i))) i++;
      }
    }
  }
  return { host, helo, ip, end: i };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
