import { stripAngles, toInt } from "../text/mail-text.js";
import { PrefixSet } from "../text/prefix-set.js";
import { readEximHost } from "./read-exim-host.js";

// What Exim's log lines look like: message ids, the `X=value` fields of
// `<=`, `=>`, `**`, `==` lines, listener services and the informational lines
// understood without counting. The parser (parse-exim-line.ts) joins a
// message's lines.

/** Lines with a message id that are understood but not counted. */
export const ID_INFO = new PrefixSet(["Completed", "Frozen", "Unfrozen", "removed", "Message is frozen", "SA: ", "DKIM: ", "DKIM-", "cancelled", "Spool file", "Sender identification", "Warning:", "error ignored", "no immediate delivery", "SMTP connection from", "*> ", ">> ", "ARC: ", "DMARC", "SPF", "event ", "spam acl", "Unable to", "tls session", "proxy ", "Start queue run", "Message ", "H=", "F=", "remote ", "closing connection"]);

/** Lines without a message id that are understood but not counted. */
export const INFO = new PrefixSet([
  "SMTP connection from ",
  "no host name found for IP address",
  "no IP address found for host",
  "Start queue run",
  "End queue run",
  "exim ",
  "pid ",
  "SMTP protocol ",
  "SMTP call from ",
  "SMTP command timeout",
  "SMTP data timeout",
  "SMTP syntax error",
  "SMTP connection lost",
  "no MAIL in SMTP connection",
  "unexpected disconnection",
  "TLS error on connection",
  "TLS session",
  "TLS recv error",
  "TLS send error",
  "Connection from ",
  "Connection refused",
  "Failed to get ",
  "host name alias list",
  "daemon started",
  "Spool file",
  "DKIM: ",
  "SPF ",
  "spf_result",
  "DMARC",
  "rcpt for ",
  "ETRN ",
  "Warning: ",
  "SIGHUP",
  "queue run",
  "tls session",
  "proxy ",
  "remote ",
  "max ",
  "Transaction ",
  "Remote ",
  "Authentication-Results",
  "LOG: ",
]);

const AUTH_FAILED = " authenticator failed for ";
const REJECTED = " rejected ";
/** Either text: one native scan finds the first of them. */
const AUTH_FAILED_OR_REJECTED = / (?:authenticator failed for|rejected) /g;

/** Where the texts of a failed login and of a refusal are in a line (-1: absent). */
export interface AuthAndRejectedMarks {
  authAt: number;
  rejectedAt: number;
}

const marks: AuthAndRejectedMarks = { authAt: -1, rejectedAt: -1 };

/**
 * The first " authenticator failed for " and the first " rejected " at or
 * after `from`, as two indexOf calls would find them, but with one scan of
 * the line when it has neither (most lines). The result is one object reused
 * by every call: read it before the next.
 */
export function markAuthAndRejected(s: string, from: number): AuthAndRejectedMarks {
  AUTH_FAILED_OR_REJECTED.lastIndex = from;
  if (!AUTH_FAILED_OR_REJECTED.test(s)) {
    marks.authAt = -1;
    marks.rejectedAt = -1;
  } else if (s.charCodeAt(AUTH_FAILED_OR_REJECTED.lastIndex - 2) === 114 /* the r of "for " */) {
    marks.authAt = AUTH_FAILED_OR_REJECTED.lastIndex - AUTH_FAILED.length;
    marks.rejectedAt = s.indexOf(REJECTED, marks.authAt + 1);
  } else {
    marks.rejectedAt = AUTH_FAILED_OR_REJECTED.lastIndex - REJECTED.length;
    marks.authAt = s.indexOf(AUTH_FAILED, marks.rejectedAt + 1);
  }
  return marks;
}

/** Message id length at `i` (old 6-6-2 or 4.97+ 6-11-4 form) when followed by a space or the end, else 0. */
export function eximMessageIdLength(s: string, i: number): number {
  // (Lengths checked before reading: a character read past the end deoptimises the caller.)
  if (s.length < i + 16 || s.charCodeAt(i + 6) !== 45) return 0;
  let len = 0;
  if (s.charCodeAt(i + 13) === 45 && (s.length === i + 16 || s.charCodeAt(i + 16) === 32)) len = 16;
  else if (s.length >= i + 23 && s.charCodeAt(i + 18) === 45 && (s.length === i + 23 || s.charCodeAt(i + 23) === 32)) len = 23;
  else return 0;
  for (let j = i; j < i + len; j++) {
    const c = s.charCodeAt(j);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45;
    if (!ok) return 0;
  }
  return len;
}

/** Exim's `I=[ip]:port` tells which listener: 587 is submission, 465 smtps. */
export function serviceFromListener(s: string, from: number): string {
  const at = s.indexOf(" I=[", from);
  if (at < 0) return "smtp";
  const close = s.indexOf("]:", at);
  if (close < 0) return "smtp";
  const port = toInt(/^\d+/.exec(s.slice(close + 2, close + 8))?.[0] ?? null);
  return port === 587 ? "submission" : port === 465 ? "smtps" : "smtp";
}

/** The `X=value` fields the parser reads (the last one when a key repeats); the others are skipped. */
export interface EximFieldValues {
  /** `A=authenticator:user` of a login. */
  A: string | null;
  /** `C="250 OK id=..."`: the remote server's answer to a delivery. */
  C: string | null;
  /** `P=esmtpsa`, `P=local`: the protocol. */
  P: string | null;
  /** `R=` of `<=` lines: the message id this is a bounce of; of deliveries: the router. */
  R: string | null;
  /** `S=1234`: size. */
  S: string | null;
  /** `T=remote_smtp`: transport. */
  T: string | null;
  /** `U=user`: the calling user (local) or ident answer. */
  U: string | null;
  /** `id=<Message-ID>`. */
  id: string | null;
}

/** Sets the field `key` of `values` when the parser reads that key. */
function setFieldValue(values: EximFieldValues, key: string, value: string): void {
  switch (key) {
    case "A":
    case "C":
    case "P":
    case "R":
    case "S":
    case "T":
    case "U":
    case "id":
      values[key] = value;
  }
}

/** Key=value fields of a `<=`, `=>`, `==` or `**` line, read left to right (quoted values may hold spaces). */
export interface EximFields {
  H: ReturnType<typeof readEximHost> | null;
  values: EximFieldValues;
  /** Recipients after ` for ` (log_selector +received_recipients). */
  for: string[];
  /** Index of the first `: ` outside fields (the error text of `**` and `==` lines), or -1. */
  textAt: number;
}

export function readFields(s: string, start: number): EximFields {
  const values: EximFieldValues = { A: null, C: null, P: null, R: null, S: null, T: null, U: null, id: null };
  let H: EximFields["H"] = null;
  const forList: string[] = [];
  let textAt = -1;
  let i = start;
  const n = s.length;
  while (i < n) {
    while (i < n && s.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    if (s.startsWith("for ", i)) {
      for (const r of s.slice(i + 4).split(" ")) if (r.length > 0) forList.push(stripAngles(r));
      break;
    }
    if (s.charCodeAt(i) === 58 /* : */) {
      textAt = i + 1;
      break;
    }
    let k = i;
    while (k < n) {
      const c = s.charCodeAt(k);
      if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95) k++;
      else break;
    }
    if (k > i && s.charCodeAt(k) === 61 /* = */) {
      const key = s.slice(i, k);
      if (key === "H") {
        H = readEximHost(s, k + 1);
        i = H.end;
        continue;
      }
      let v = k + 1;
      let value: string;
      if (s.charCodeAt(v) === 34 /* " */) {
        let j = v + 1;
        while (j < n && !(s.charCodeAt(j) === 34 && s.charCodeAt(j - 1) !== 92)) j++;
        value = s.slice(v + 1, j);
        v = j + 1;
      } else {
        let j = s.indexOf(" ", v);
        if (j < 0) j = n;
        value = s.slice(v, j);
        v = j;
      }
      if (value.endsWith(":") && s.charCodeAt(v) === 32 && key !== "A") {
        // "H=x [ip]: SMTP error": a field glued to the error text.
        value = value.slice(0, -1);
        textAt = v;
        setFieldValue(values, key, value);
        break;
      }
      setFieldValue(values, key, value);
      i = v;
      continue;
    }
    // A bare word ("defer", "(-46)", "L", "routing"): skip; a trailing ':' starts the text.
    let j = s.indexOf(" ", i);
    if (j < 0) j = n;
    if (s.charCodeAt(j - 1) === 58) {
      textAt = j;
      break;
    }
    i = j;
  }
  return { H, values, for: forList, textAt };
}
