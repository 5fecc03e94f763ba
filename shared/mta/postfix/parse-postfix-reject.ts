import type { MailEventSink, MessageOrigin, RejectEvent } from "../events/mail-event.js";
import type { LogLinePrefix } from "../syslog/parse-syslog-prefix.js";
import { classifyRejectReason } from "../text/classify-reject-reason.js";
import { fieldValue, normalizeIp } from "../text/mail-text.js";
import { stageOf } from "./postfix-line-kinds.js";

// Postfix rejections: smtpd/postscreen `reject:` lines and cleanup's
// header/body_checks REJECT. `origin` is what the parser knows of the queue id.

/**
 * `RCPT from host[ip]: 554 5.7.1 <x>: Relay access denied; from=<s> to=<r> proto=ESMTP helo=<h>`
 * (postscreen: `RCPT from [ip]:port: ...; from=<s>, to=<r>, proto=ESMTP, helo=<h>`).
 */
export function parseReject(qid: string | null, msg: string, start: number, p: LogLinePrefix, raw: string, emit: MailEventSink, origin: MessageOrigin | undefined): boolean {
  const fromAt = msg.indexOf(" from ", start);
  if (fromAt < 0) return false;
  const command = msg.slice(start, fromAt);
  const open = msg.indexOf("[", fromAt);
  const close = open < 0 ? -1 : msg.indexOf("]", open);
  if (close < 0) return false;
  const clientHost = msg.slice(fromAt + 6, open);
  const clientIp = normalizeIp(msg.slice(open + 1, close));
  let i = msg.indexOf(": ", close);
  if (i < 0) return false;
  i += 2;
  let smtpCode: string | null = null;
  let dsn: string | null = null;
  if (/^[245]\d\d[ ;]/.test(msg.slice(i, i + 4))) {
    smtpCode = msg.slice(i, i + 3);
    i += 4;
  }
  const dsnMatch = /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/.exec(msg.slice(i, i + 12));
  if (dsnMatch !== null) {
    dsn = dsnMatch[1] ?? null;
    i += dsnMatch[0].length;
  }
  let tail = msg.lastIndexOf("; from=<");
  if (tail < i) tail = msg.lastIndexOf("; proto=");
  if (tail < i) tail = -1;
  let reason = (tail < 0 ? msg.slice(i) : msg.slice(i, tail)).trim();
  if (reason.startsWith(": ")) reason = reason.slice(2); // "550 5.1.1 : Recipient address rejected" (empty address)
  let sender: string | null = null;
  let recipient: string | null = null;
  let helo: string | null = null;
  if (tail >= 0) {
    sender = fieldValue(msg, "from=", tail, " ");
    recipient = fieldValue(msg, " to=", tail, " ");
    helo = fieldValue(msg, " helo=", tail, " ");
    if (recipient !== null && recipient.endsWith(",")) recipient = recipient.slice(0, -1);
    if (helo !== null && helo.endsWith(",")) helo = helo.slice(0, -1);
  }
  const event: RejectEvent = {
    type: "rejected",
    ts_unix_ms: p.ts_unix_ms,
    source: "postfix",
    raw,
    queue_id: qid,
    stage: stageOf(command),
    reason_class: classifyRejectReason(reason),
    reason,
    smtp_code: smtpCode,
    dsn,
    client_ip: clientIp,
    client_host: clientHost.length > 0 ? clientHost : null,
    sender,
    recipient,
    helo,
    sasl_user: qid !== null ? (origin?.sasl_user ?? null) : null,
  };
  emit(event);
  return true;
}

/** header/body_checks REJECT logged by cleanup: a content rejection of an accepted message. */
export function parseContentReject(qid: string, msg: string, start: number, p: LogLinePrefix, raw: string, emit: MailEventSink, origin: MessageOrigin | undefined): boolean {
  const tail = msg.lastIndexOf("; from=<");
  let reason = msg.slice(start, tail < 0 ? msg.length : tail);
  if (tail >= 0) {
    const colon = msg.indexOf(": ", msg.indexOf(" helo=", tail) > 0 ? msg.indexOf(" helo=", tail) : tail);
    if (colon > 0) reason = `${reason}: ${msg.slice(colon + 2)}`;
  }
  emit({
    type: "rejected",
    ts_unix_ms: p.ts_unix_ms,
    source: "postfix",
    raw,
    queue_id: qid,
    stage: "data",
    reason_class: classifyRejectReason(reason),
    reason,
    smtp_code: null,
    dsn: null,
    client_ip: origin?.client_ip ?? null,
    client_host: origin?.client_host ?? null,
    sender: tail >= 0 ? fieldValue(msg, "from=", tail, " ") : null,
    recipient: tail >= 0 ? fieldValue(msg, " to=", tail, " ") : null,
    helo: null,
    sasl_user: origin?.sasl_user ?? null,
  });
  return true;
}
