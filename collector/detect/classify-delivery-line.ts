import { IpNetworks } from "../vocabulary/ip-networks.js";

/** Where a logged delivery attempt went. */
export interface DeliveryLine {
  /** remote: handed to an SMTP client towards another server; local: mailbox, pipe, LMTP or a content-filter hop. */
  kind: "remote" | "local";
  /** Recipient address as logged (lower-cased), "" when the line does not say. */
  recipient: string;
  /** Queue id of the message, "" when not found. */
  queueId: string;
  /**
   * True when the recipient came from an alias or forward (Postfix
   * `orig_to=`, Exim's `=> new <original>`): inbound mail for a local
   * address re-sent outside — forwarding, not relaying.
   */
  forwarded: boolean;
}

// Postfix: "postfix/smtp[123]: QID: to=<rcpt>, ..., relay=host[ip]:port, ..." (multi-instance: postfix-out/smtp).
const POSTFIX = /\bpostfix[^\s/]*\/(?:[^\s[/]+\/)?(smtp|relay|lmtp|local|virtual|pipe)\[\d+\]: ([0-9A-Za-z]+): to=<([^>]*)>(.*)$/;
// Exim: "<date> <time> [pid] ID => rcpt <orig> R=router T=transport H=host [ip] ..." (=> delivered, -> extra recipient, == deferred, ** bounced).
const EXIM = /(?:^|\s)([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) (=>|->|==|\*\*) (\S+)(.*)$/;
// Sendmail: "sendmail[1]: QID: to=<rcpt>, ..., mailer=esmtp, ..., stat=Sent".
const SENDMAIL = /\b(?:sendmail|sm-mta)\[\d+\]: ([0-9A-Za-z]+): to=([^,]+),(.*\bmailer=([\w-]+).*)$/;
// qmail: "starting delivery 12: msg 345 to remote rcpt@example.com".
const QMAIL = /starting delivery \d+: msg (\d+) to (remote|local) (\S+)/;

/**
 * RE2 pattern that every line {@link classifyDeliveryLine} calls remote
 * matches (and more): lets SQL skip identities without any remote delivery.
 */
export const REMOTE_DELIVERY_PREFILTER = String.raw`postfix[^ /]*/([^ \[/]+/)?(smtp|relay)\[| (=>|->|==|\*\*) .*(T=[^ ]*smtp|R=(dnslookup|smarthost|remote))|mailer=(e|d)?smtp|mailer=relay|to remote `;

/**
 * Classifies one sampled MTA log line as a delivery attempt to a remote
 * server or a local one; null for any other line. Content-filter hops
 * (amavis on 127.0.0.1:10024) count as local: the filter re-injects the
 * message, and its real destination shows on a later line.
 */
export function classifyDeliveryLine(line: string, filterRelayPorts: readonly number[]): DeliveryLine | null {
  let m = POSTFIX.exec(line);
  if (m) {
    const [, agent = "", queueId = "", recipient = "", rest = ""] = m;
    const forwarded = /^, orig_to=</.test(rest);
    if (agent !== "smtp" && agent !== "relay") return { kind: "local", recipient: recipient.toLowerCase(), queueId, forwarded };
    const relay = /\brelay=([^,\s]+)/.exec(rest)?.[1] ?? "none";
    return { kind: isFilterHop(relay, filterRelayPorts) ? "local" : "remote", recipient: recipient.toLowerCase(), queueId, forwarded };
  }
  m = EXIM.exec(line);
  if (m) {
    const [, queueId = "", , recipient = "", rest = ""] = m;
    const transport = /\bT=(\S+)/.exec(rest)?.[1] ?? "";
    const router = /\bR=(\S+)/.exec(rest)?.[1] ?? "";
    const host = /\bH=(\S+) \[([^\]]+)\](?::(\d+))?/.exec(rest);
    const smtpTransport = /smtp/i.test(transport) && !/lmtp/i.test(transport);
    let remote = smtpTransport || /^(dnslookup|smarthost|remote)/i.test(router);
    if (remote && host && isFilterHop(`${host[1]}[${host[2]}]:${host[3] ?? "25"}`, filterRelayPorts)) remote = false;
    return { kind: remote ? "remote" : "local", recipient: recipient.replace(/^<|>$/g, "").toLowerCase(), queueId, forwarded: /^ <[^>]+>/.test(rest) };
  }
  m = SENDMAIL.exec(line);
  if (m) {
    const [, queueId = "", to = "", , mailer = ""] = m;
    const recipient = to.trim().replace(/^<|>$/g, "").toLowerCase();
    // Sendmail's delivery line does not say whether an alias expanded to this recipient.
    return { kind: /^(esmtp|smtp|relay|smtp8|dsmtp)$/i.test(mailer) ? "remote" : "local", recipient, queueId, forwarded: false };
  }
  m = QMAIL.exec(line);
  if (m) {
    const [, queueId = "", where = "", recipient = ""] = m;
    return { kind: where === "remote" ? "remote" : "local", recipient: recipient.toLowerCase(), queueId, forwarded: false };
  }
  return null;
}

// "127.0.0.1[127.0.0.1]:10024" or "[::1]:10025": a loopback filter port.
// Content filters listen on loopback.
const LOOPBACK = new IpNetworks(["127.0.0.0/8", "::1/128"]);

function isFilterHop(relay: string, ports: readonly number[]): boolean {
  const m = /\[([^\]]+)\]:(\d+)$/.exec(relay);
  if (!m) return false;
  return LOOPBACK.has(m[1]!) && ports.includes(Number(m[2]));
}

/** Domain part of an address, lower-cased ("" when none). */
export function domainOfAddress(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1).toLowerCase();
}
