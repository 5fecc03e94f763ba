/**
 * One line of PHP's own mail log (the `mail.log` ini setting): PHP writes it
 * in php_mail() before it starts sendmail_path, so the line is there before
 * the MTA logs the message. Format (PHP 8, ext/standard/mail.c; measured with
 * Debian's php8.2-cli):
 *
 *   [07-Dec-2026 05:11:49 UTC] mail() on [/srv/app/m.php:2]: To: a@x, b@y -- Headers: From: x@y.z  Message-ID: <abc@x> -- Subject: hi
 *
 * The date is PHP's "d-M-Y H:i:s e" in the script's date.timezone (an IANA
 * name); CRLFs between headers become two spaces; PHP 7 has no "-- Subject:".
 * Code run by eval() shows as `[/path/x.php(12) : eval()'d code:1]`.
 */
export interface PhpMailCall {
  /** When mail() was called, unix ms (second resolution). */
  tsUnixMs: number;
  /** Full path of the script that called mail() (for eval()'d code, the file holding the eval). */
  script: string;
  /** Line of the mail() call. */
  line: number;
  /** Recipients named in To:, Cc: and Bcc: (lower-cased addresses). */
  recipients: string[];
  /** Message-ID header the script set itself (without angle brackets), or null. */
  messageId: string | null;
  /** The log line (evidence). */
  raw: string;
}

const LINE = /^\[(\d{2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([^\]\s]+)\] mail\(\) on \[(.+):(\d+)\]: To: (.*?) -- Headers: (.*?)(?: -- Subject: .*)?$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const EVAL_SUFFIX = /\(\d+\) : eval\(\)'d code$/;
const ADDRESS = /[^\s<>,;"]+@[^\s<>,;"]+/g;

/** Parses one mail.log line; null for anything else (PHP writes nothing else there, but admins point several things at one file). */
export function parsePhpMailLogLine(raw: string): PhpMailCall | null {
  const m = LINE.exec(raw);
  if (m === null) return null;
  const month = MONTHS.indexOf(m[2]!);
  if (month < 0) return null;
  const tsUnixMs = zonedTimeToUnixMs([Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])], m[7]!);
  if (tsUnixMs === null) return null;
  const headers = m[11]!;
  const recipients = [...addresses(m[10]!), ...headerAddresses(headers, "cc"), ...headerAddresses(headers, "bcc")];
  const messageId = /(?:^|\s)Message-ID:\s*<([^>\s]+)>/i.exec(headers)?.[1] ?? null;
  return { tsUnixMs, script: m[8]!.replace(EVAL_SUFFIX, ""), line: Number(m[9]), recipients: [...new Set(recipients)], messageId, raw };
}

function addresses(text: string): string[] {
  return (text.match(ADDRESS) ?? []).map((a) => a.toLowerCase());
}

/** Addresses of one header in PHP's flattened header text (headers are separated by two spaces). */
function headerAddresses(headers: string, name: string): string[] {
  const re = new RegExp(`(?:^|\\s{2})${name}:\\s*(.*?)(?=\\s{2}[A-Za-z][A-Za-z0-9-]*:|$)`, "gi");
  const out: string[] = [];
  for (const m of headers.matchAll(re)) out.push(...addresses(m[1]!));
  return out;
}

/**
 * Wall-clock time in an IANA zone (or "UTC", "GMT", "+02:00") to unix ms, or
 * null for an unknown zone. Uses the runtime's ICU (full-icu in Node 18+).
 */
export function zonedTimeToUnixMs(parts: readonly [number, number, number, number, number, number], zone: string): number | null {
  const asUtc = Date.UTC(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]);
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (fixed) return asUtc - (fixed[1] === "-" ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
  if (zone === "UTC" || zone === "GMT" || zone === "Z") return asUtc;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
  } catch {
    return null;
  }
  // The zone's offset at that instant, refined once for times near a DST change.
  let guess = asUtc;
  for (let i = 0; i < 2; i++) guess = asUtc - offsetMs(format, guess);
  return guess;
}

function offsetMs(format: Intl.DateTimeFormat, unixMs: number): number {
  const p = Object.fromEntries(format.formatToParts(new Date(unixMs)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return wall - Math.floor(unixMs / 1000) * 1000;
}
