import type { RejectStage } from "../events/mail-event.js";
import { PrefixSet } from "../text/prefix-set.js";

// What Postfix's log lines look like: daemon codes, the informational openings
// understood without counting, queue ids, services and SMTP stages. The
// parser (parse-postfix-line.ts) joins the lines of a message.

/** Daemons whose `QID: to=<...>, relay=..., status=...` lines are delivery attempts. */
const DELIVERY_DAEMONS = new Set(["smtp", "lmtp", "local", "virtual", "pipe", "error", "discard", "retry", "relay"]);

/** Lines from these daemons are understood as a whole (statistics, lifecycle, maintenance). */
const INFO_DAEMONS = new Set(["anvil", "scache", "master", "postfix-script", "postsuper", "tlsmgr", "postlogd", "postmap", "postalias", "postqueue", "showq", "proxymap", "flush", "oqmgr-statistics", "dnsblog", "verify", "tlsproxy", "trivial-rewrite", "sendmail", "postdrop", "spawn", "policy-spf", "postconf"]);

/** smtpd / smtp informational line starts, understood but not counted. */
const SMTPD_INFO_PREFIXES = [
  "connect from ",
  "disconnect from ",
  "lost connection after ",
  "timeout after ",
  "too many errors after ",
  "improper command pipelining after ",
  "setting up TLS connection ",
  "TLS connection established ",
  "Anonymous TLS connection established ",
  "Trusted TLS connection established ",
  "Untrusted TLS connection established ",
  "Verified TLS connection established ",
  "SSL_accept error ",
  "SSL_connect error ",
  "proxy-accept: ",
  "proxy-reject: ",
  "NOQUEUE: lost connection ",
  "NOQUEUE: client=",
  "Host offered STARTTLS",
  "connect to ",
  "server certificate verification failed",
  "certificate verification failed",
  "client=",
  "statistics: ",
  "discarding EHLO keywords",
  "abort: ",
  "reject: ",
];

export const SMTPD_INFO = new PrefixSet(SMTPD_INFO_PREFIXES);

/** `warning:` texts that are standard Postfix diagnostics, understood but not counted. */
export const KNOWN_WARNINGS = new PrefixSet([
  "SASL authentication failure: ",
  "hostname ",
  "non-SMTP command from ",
  "Connection rate limit exceeded",
  "Connection concurrency limit exceeded",
  "Message delivery request rate limit exceeded",
  "Recipient address rate limit exceeded",
  "New TLS session rate limit exceeded",
  "Illegal address syntax from ",
  "TLS library problem",
  "database ",
  "do not list domain ",
  "dnsblog_query",
  "Unable to look up ",
  "malformed domain name",
  "numeric domain name",
  "connect to transport ",
  "header ",
  "Recipient address rejected",
  "RCPT from ",
  "ignoring ",
  "valid_hostname",
  "smtpd_peer_init",
  "timeout ",
  "restriction ",
  "problem talking to server",
  "dict_",
  "unknown smtpd restriction",
  "psc_",
  "process ",
  "non-SMTP ",
]);

export const D_SMTPD = 1;
export const D_CLEANUP = 2;
export const D_QMGR = 3;
export const D_PICKUP = 4;
export const D_BOUNCE = 5;
export const D_POSTSCREEN = 6;
export const D_DELIVERY = 7;
export const D_INFO = 8;
export const D_PLESK = 9;
export const D_OTHER = 10;

/** Daemon code of a program tag from its last path component (`postfix/submission/smtpd` → smtpd). */
export function daemonCode(program: string): number {
  const slash = program.lastIndexOf("/");
  if (slash < 0) return program === "postfix-local" ? D_PLESK : D_OTHER;
  const daemon = program.slice(slash + 1);
  switch (daemon) {
    case "smtpd":
      return D_SMTPD;
    case "cleanup":
      return D_CLEANUP;
    case "qmgr":
    case "nqmgr":
    case "oqmgr":
      return D_QMGR;
    case "pickup":
      return D_PICKUP;
    case "bounce":
      return D_BOUNCE;
    case "postscreen":
      return D_POSTSCREEN;
    default:
      if (DELIVERY_DAEMONS.has(daemon)) return D_DELIVERY;
      if (INFO_DAEMONS.has(daemon)) return D_INFO;
      return D_OTHER;
  }
}

/** Length of the queue id at the start of `msg` when followed by ": ", else 0 (a loop: cheaper than a regex on the many lines without one). */
export function postfixQueueIdLength(msg: string): number {
  const max = Math.min(msg.length - 2, 20);
  let i = 0;
  let hexUpper = true;
  let digits = 0;
  let upper = 0;
  for (; i < max; i++) {
    const c = msg.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) {
      upper++;
      if (c > 70) hexUpper = false;
    } else if (c >= 97 && c <= 122) hexUpper = false;
    else break;
  }
  if (i < 5 || msg.charCodeAt(i) !== 58 || msg.charCodeAt(i + 1) !== 32) return 0;
  // Short ids are upper-case hex; long ids (enable_long_queue_ids) mix case and always carry digits and capitals.
  if (hexUpper) return i;
  if (i >= 10 && digits > 0 && upper > 0) return i;
  return 0;
}

/** Service name for auth events: `postfix/submission/smtpd` → "submission", `postfix/smtpd` → "smtp". */
export function serviceOf(program: string): string {
  // Consecutive auth lines mostly come from one daemon: skip the slicing then.
  if (program === lastServiceProgram) return lastService;
  lastServiceProgram = program;
  lastService = serviceOfTag(program);
  return lastService;
}
let lastServiceProgram = "";
let lastService = "smtp";

function serviceOfTag(program: string): string {
  const first = program.indexOf("/");
  const last = program.lastIndexOf("/");
  if (first >= 0 && last > first) return program.slice(first + 1, last);
  return "smtp";
}

export function stageOf(command: string): RejectStage {
  switch (command) {
    case "CONNECT":
      return "connect";
    case "EHLO":
    case "HELO":
      return "helo";
    case "MAIL":
      return "mail";
    case "RCPT":
    case "VRFY":
      return "rcpt";
    case "DATA":
    case "BDAT":
    case "END-OF-MESSAGE":
      return "data";
    default:
      return "other";
  }
}

/** Reads `<addr>` or `addr` (up to `,`) at `start`; returns [address, index after]. */
export function readAddress(msg: string, start: number): [string, number] {
  if (msg.charCodeAt(start) === 60) {
    const close = msg.indexOf(">", start);
    if (close > 0) return [msg.slice(start + 1, close), close + 1];
  }
  let end = msg.indexOf(",", start);
  if (end < 0) end = msg.length;
  return [msg.slice(start, end), end];
}
