/** Small string helpers shared by the MTA parsers; all are total (never throw). */

/** Drops an IPv4-mapped IPv6 prefix (`::ffff:1.2.3.4` → `1.2.3.4`) so one client has one key. */
export function normalizeIp(ip: string): string {
  const c = ip.charCodeAt(0);
  if (c !== 58 /* : */ && c !== 73 /* I */) return ip;
  if (ip.length > 7 && (ip.startsWith("::ffff:") || ip.startsWith("::FFFF:")) && ip.indexOf(".") > 0) return ip.slice(7);
  if (ip.startsWith("IPv6:")) return ip.slice(5).toLowerCase();
  return ip;
}

/**
 * A copy of `s` that does not keep a larger string alive. V8 makes a slice of
 * 13 or more characters a view into its parent, so one line kept from a 1 MiB
 * chunk of a log read by `spamtrace parse-log` would keep the whole chunk:
 * what lives as long as a window (keys, distinct-value sets, samples) goes
 * through this when it is first stored. Shorter strings are copies already.
 */
export function ownString(s: string): string {
  // Slicing a concatenation flattens it into a new string first: the result only references that copy.
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/** Distinct values sharedString keeps; the table starts over when full (a cache, never a bound on what is parsed). */
const SHARED_STRINGS_MAX = 4096;
let sharedStrings = new Map<string, string>();

/**
 * ownString for a value that many messages repeat (envelope sender, client
 * name and address, SASL user, local user, script): one copy shared by every
 * message that holds it. 33,000 in-flight Postfix messages held ~8 MB of such
 * copies before, mostly the same few hundred values.
 */
export function sharedString(s: string): string {
  const known = sharedStrings.get(s);
  if (known !== undefined) return known;
  if (sharedStrings.size >= SHARED_STRINGS_MAX) sharedStrings = new Map();
  const own = ownString(s);
  sharedStrings.set(own, own);
  return own;
}

/** sharedString for a value that may be null. */
export function sharedNullable<T extends string | null>(s: T): T {
  return (s === null ? s : sharedString(s)) as T;
}

/** ownString for a value that may be null. */
export function ownNullable<T extends string | null>(s: T): T {
  return (s === null ? s : ownString(s)) as T;
}

/**
 * Makes the strings of a message's origin its own (ownString), in place, before
 * a correlator keeps it per queue id: up to 100,000 in-flight origins, each
 * holding slices of a different 1 MiB chunk, would otherwise keep the whole
 * log read so far in memory (measured: 240-340 MB RSS for a 126 MB log).
 */
export function ownOrigin<O extends { queue_id: string; sender: string | null; client_ip: string | null; client_host: string | null; sasl_user: string | null; local_user: string | null; script: string | null; message_id: string | null }>(o: O): O {
  o.queue_id = ownString(o.queue_id);
  o.sender = sharedNullable(o.sender);
  o.client_ip = sharedNullable(o.client_ip);
  o.client_host = sharedNullable(o.client_host);
  o.sasl_user = sharedNullable(o.sasl_user);
  o.local_user = sharedNullable(o.local_user);
  o.script = sharedNullable(o.script);
  o.message_id = ownNullable(o.message_id);
  return o;
}

/** Characters toLowerCase may change: ASCII capitals and anything beyond ASCII. */
const MAY_CHANGE_CASE = /[A-Z\u0080-\uffff]/;

/**
 * `s.toLowerCase()`, but `s` itself when it has nothing to lower (most mail
 * addresses and user names): no new string, and the one the aggregator's
 * maps already hashed for the previous event of the same message is reused.
 */
export function lowerCase(s: string): string {
  return MAY_CHANGE_CASE.test(s) ? s.toLowerCase() : s;
}

/** `<a@b>` → `a@b`; `<>` → ""; text without brackets is returned as is. */
export function stripAngles(address: string): string {
  if (address.length >= 2 && address.charCodeAt(0) === 60 && address.charCodeAt(address.length - 1) === 62) {
    return address.slice(1, -1);
  }
  return address;
}

/** Lower-cased domain part of an address (after the last `@`), or "" when there is none. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : lowerCase(address.slice(at + 1));
}

/**
 * Value of `key=` (key includes the `=`) in `text`, from `from` on: the text
 * up to the next `end` character (default ","), or to the end of the text.
 * Returns null when the key is absent. An angle-bracketed value (`from=<a,b>`)
 * is read up to its closing `>` and returned without brackets.
 */
export function fieldValue(text: string, key: string, from = 0, end = ","): string | null {
  const k = text.indexOf(key, from);
  if (k < 0) return null;
  const start = k + key.length;
  if (text.charCodeAt(start) === 60) {
    const close = text.indexOf(">", start);
    if (close > 0) return text.slice(start + 1, close);
  }
  const stop = text.indexOf(end, start);
  return stop < 0 ? text.slice(start) : text.slice(start, stop);
}

/** Parses a non-negative decimal integer, or null. */
export function toInt(text: string | null | undefined): number | null {
  if (text === null || text === undefined || text.length === 0 || text.length > 15) return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n;
}

/** True for `127.0.0.0/8` and `::1`: ident answers from these come from this host and name a local user. */
export function isLoopback(ip: string | null): boolean {
  return ip !== null && (ip.startsWith("127.") || ip === "::1");
}
