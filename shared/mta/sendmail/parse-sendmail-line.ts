import type { MailEventSink, MessageOrigin, RejectStage } from "../events/mail-event.js";
import type { FamilyLineParser } from "../parse/family-line-parser.js";
import { RelayContinuations } from "../parse/relay-continuations.js";
import { BoundedLruMap, DEFAULT_MAX_TRACKED_MESSAGES, MESSAGE_IDLE_EXPIRY_MS } from "../state/bounded-lru-map.js";
import type { LogLinePrefix } from "../syslog/parse-syslog-prefix.js";
import { classifyRejectReason } from "../text/classify-reject-reason.js";
import { normalizeIp, stripAngles, toInt } from "../text/mail-text.js";

const INFO_AFTER_QID = ["DSN: ", "done; ", "Milter", "SMTP outgoing connect", "lost input channel", "STARTTLS=", "clone ", "sender notify", "return to sender", "timeout waiting", "collect: ", "postmaster notify", "discarded", "Authentication-Warning", "SYSERR", "headers too large", "message size ", "-- ", "Saved message", "cannot ", "alias ", "forward ", "unable to ", "deferred", "Losing ", "makeconnection", "tls_", "TLS ", "maxrcpt"];
const INFO_NO_QID = ["STARTTLS=", "starting daemon", "restarting ", "alias database ", "/etc/mail/aliases", "runqueue", "grew WorkList", "accepting connections", "rejecting connections", "SYSERR", "Milter", "daemon ", "tls_", "AUTH=server", "unable to ", "NOQUEUE: ", "STARTTLS: "];

/** Length of a Sendmail queue id at the start of `s` when followed by ": ", else 0. */
function sendmailQueueIdLength(s: string): number {
  const max = Math.min(s.length - 2, 20);
  let i = 0;
  let digits = 0;
  for (; i < max; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) break;
  }
  return i >= 8 && digits >= 3 && s.charCodeAt(i) === 58 && s.charCodeAt(i + 1) === 32 ? i : 0;
}

/** `relay=host [ip] (may be forged)`, `relay=[ip]`, `relay=user@localhost`. */
function parseRelay(value: string | null): { host: string | null; ip: string | null; localUser: string | null } {
  if (value === null) return { host: null, ip: null, localUser: null };
  const open = value.indexOf("[");
  if (open >= 0) {
    const close = value.indexOf("]", open);
    const host = value.slice(0, open).trim();
    return { host: host.length > 0 ? host : null, ip: close > open ? normalizeIp(value.slice(open + 1, close)) : null, localUser: null };
  }
  const at = value.indexOf("@");
  if (at > 0 && value.slice(at + 1).startsWith("localhost")) return { host: null, ip: null, localUser: value.slice(0, at) };
  return { host: value.trim() || null, ip: null, localUser: null };
}

/** Value of ` key=` up to the next `, `; for `relay=` the last occurrence (a client can forge an earlier one). */
function field(s: string, key: string, from: number, last = false): string | null {
  const k = last ? s.lastIndexOf(key) : s.indexOf(key, from);
  if (k < from) return null;
  const start = k + key.length;
  const end = s.indexOf(", ", start);
  return end < 0 ? s.slice(start) : s.slice(start, end);
}

/**
 * Sendmail (sendmail, sm-mta, sm-msp-queue) parser: the `from=` line of a
 * queue id is the received message (client from `relay=`, or the local user
 * from `relay=user@localhost` on MSP submissions; `nrcpts=0` lines are
 * aborted transactions), `to=` lines give one delivery outcome per listed
 * recipient, `AUTH=server ... authid=` gives the logged-in user, `ruleset=`
 * and `<rcpt>... User unknown` lines are rejections, `AUTH failure` lines
 * failed logins.
 */
export class SendmailLineParser implements FamilyLineParser {
  private readonly messages: BoundedLruMap<string, MessageOrigin>;

  private readonly continuations: RelayContinuations;

  /** `continuations` is shared with the other MTA parsers of a mixed log (MSP submissions handed to Postfix). */
  constructor(options: { maxTrackedMessages?: number; continuations?: RelayContinuations } = {}) {
    this.messages = new BoundedLruMap(options.maxTrackedMessages ?? DEFAULT_MAX_TRACKED_MESSAGES, { idleExpiryMs: MESSAGE_IDLE_EXPIRY_MS });
    this.continuations = options.continuations ?? new RelayContinuations();
  }

  /** Parses one line of sendmail / sm-mta / sm-msp-queue. */
  parse(p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    this.messages.advance(p.ts_unix_ms);
    const s = p.message;
    const qidLen = sendmailQueueIdLength(s);
    const qid = qidLen > 0 ? s.slice(0, qidLen) : null;
    const r = qidLen > 0 ? qidLen + 2 : 0;
    if (s.startsWith("ruleset=", r)) return this.ruleset(qid, s, r, p, raw, emit);
    if (qid === null) {
      if (s.includes("possible SMTP attack")) return this.attack(s, 0, p, raw, emit);
      for (const prefix of INFO_NO_QID) if (s.startsWith(prefix)) return true;
      return false;
    }
    if (s.startsWith("from=", r)) return this.from(qid, s, r, p, raw, emit);
    if (s.startsWith("to=", r)) return this.to(qid, s, r, p, raw, emit);
    if (s.startsWith("AUTH=server", r)) {
      const user = field(s, "authid=", r);
      const relay = parseRelay(field(s, "relay=", r));
      const mech = field(s, "mech=", r);
      const o = this.state(qid);
      o.sasl_user = user;
      o.client_ip = relay.ip;
      o.client_host = relay.host;
      emit({ type: "auth_success", ts_unix_ms: p.ts_unix_ms, source: "sendmail", raw, client_ip: relay.ip, username: user, mechanism: mech === null ? null : mech.toUpperCase(), service: "smtp", reason: null, attempts: 1 });
      return true;
    }
    if (s.startsWith("AUTH failure (", r)) {
      const close = s.indexOf(")", r + 14);
      const mech = close > 0 ? s.slice(r + 14, close).toUpperCase() : null;
      const user = field(s, "user=", r);
      const relay = parseRelay(field(s, "relay=", r, true));
      const reasonEnd = s.indexOf(", user=", r);
      const reason = s.slice(close + 3, reasonEnd > close ? reasonEnd : s.indexOf(", relay=", r) > close ? s.indexOf(", relay=", r) : s.length).trim();
      emit({ type: "auth_failure", ts_unix_ms: p.ts_unix_ms, source: "sendmail", raw, client_ip: relay.ip, username: user, mechanism: mech, service: "smtp", reason: reason.length > 0 ? reason : null, attempts: 1 });
      return true;
    }
    if (s.includes("possible SMTP attack", r)) return this.attack(s, r, p, raw, emit);
    if (s.startsWith("rejecting commands from ", r)) {
      const open = s.indexOf("[", r);
      const close = s.indexOf("]", open);
      const host = s.slice(r + 24, open).trim();
      emit({
        type: "rejected", ts_unix_ms: p.ts_unix_ms, source: "sendmail", raw, queue_id: null, stage: "connect", reason_class: "policy",
        reason: s.slice(close + 2), smtp_code: null, dsn: null,
        client_ip: open > 0 && close > open ? normalizeIp(s.slice(open + 1, close)) : null, client_host: host.length > 0 ? host : null,
        sender: null, recipient: null, helo: null, sasl_user: null,
      });
      return true;
    }
    if (s.charCodeAt(r) === 60 /* <rcpt>... reason */) {
      const dots = s.indexOf(">... ", r);
      if (dots > 0) {
        const reason = s.slice(dots + 5);
        const o = this.messages.peek(qid);
        emit({
          type: "rejected", ts_unix_ms: p.ts_unix_ms, source: "sendmail", raw, queue_id: qid, stage: "rcpt", reason_class: classifyRejectReason(reason),
          reason, smtp_code: null, dsn: null, client_ip: o?.client_ip ?? null, client_host: o?.client_host ?? null,
          sender: o?.sender ?? null, recipient: s.slice(r + 1, dots), helo: null, sasl_user: o?.sasl_user ?? null,
        });
        return true;
      }
    }
    if (s.includes(" did not issue MAIL/EXPN/VRFY/ETRN", r) || s.includes(" [rejected]", r)) return true;
    if (sendmailQueueIdLength(s.slice(r)) > 0) return true; // "QID: QID2: DSN: ..." / "return to sender"
    for (const prefix of INFO_AFTER_QID) if (s.startsWith(prefix, r)) return true;
    return false;
  }

  private state(qid: string): MessageOrigin {
    let o = this.messages.get(qid);
    if (o === undefined) {
      o = { queue_id: qid, sender: null, client_ip: null, client_host: null, sasl_user: null, local_user: null, local_uid: null, script: null, message_id: null };
      this.messages.set(qid, o);
    }
    return o;
  }

  private from(qid: string, s: string, r: number, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const senderEnd = s.indexOf(", ", r);
    const sender = stripAngles(s.slice(r + 5, senderEnd < 0 ? s.length : senderEnd));
    const nrcpts = toInt(field(s, "nrcpts=", r));
    const relay = parseRelay(field(s, "relay=", r, true));
    const msgid = field(s, "msgid=", r);
    const o = this.state(qid);
    o.sender = sender;
    if (relay.ip !== null || o.client_ip === null) {
      o.client_ip = relay.ip;
      o.client_host = relay.host;
    }
    if (relay.localUser !== null) o.local_user = relay.localUser;
    o.message_id = msgid === null ? null : stripAngles(msgid);
    // nrcpts=0: every recipient was refused, nothing was queued.
    if (nrcpts === 0) return true;
    this.continuations.register(o, p.ts_unix_ms);
    emit({
      type: "received",
      ts_unix_ms: p.ts_unix_ms,
      source: "sendmail",
      raw,
      ...o,
      null_sender: sender.length === 0,
      size_bytes: toInt(field(s, "size=", r)),
      nrcpt: nrcpts,
      sasl_method: null,
      protocol: field(s, "proto=", r),
      bounce_of: null,
      recipients: [],
    });
    return true;
  }

  private to(qid: string, s: string, r: number, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    let listEnd = s.length;
    for (const key of [", ctladdr=", ", delay=", ", xdelay=", ", mailer="]) {
      const k = s.indexOf(key, r);
      if (k >= 0 && k < listEnd) listEnd = k;
    }
    const recipients = s.slice(r + 3, listEnd).split(",").map((x) => stripAngles(x.trim())).filter((x) => x.length > 0);
    const statAt = s.indexOf(", stat=", listEnd);
    if (statAt < 0) return false;
    const stat = s.slice(statAt + 7);
    const dsn = field(s, "dsn=", listEnd);
    let type: "delivered" | "deferred" | "bounced";
    if (stat.startsWith("Sent")) type = "delivered";
    else if (stat.startsWith("Deferred")) type = "deferred";
    else if (stat.startsWith("queued")) return true;
    else type = dsn !== null && dsn.startsWith("4") ? "deferred" : "bounced";
    const relay = field(s, "relay=", listEnd) ?? field(s, "mailer=", listEnd);
    const o = this.messages.get(qid) ?? null;
    if (type === "delivered" && this.continuations.isHandOff(o, relay)) return true;
    for (const recipient of recipients) {
      emit({ type, ts_unix_ms: p.ts_unix_ms, source: "sendmail", raw, queue_id: qid, recipient, orig_recipient: null, relay, dsn, status_text: stat, origin: o });
    }
    return true;
  }

  /** `ruleset=check_rcpt, arg1=<x>, relay=host [ip], reject=550 5.7.1 <x>... Relaying denied`. */
  private ruleset(qid: string | null, s: string, r: number, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const name = field(s, "ruleset=", r) ?? "";
    const rejectAt = s.indexOf(", reject=", r);
    if (rejectAt < 0) return s.includes(", discard", r) || s.includes(", quarantine=", r);
    const arg1 = field(s, "arg1=", r);
    const relay = parseRelay(s.slice(s.lastIndexOf("relay=", rejectAt) + 6, rejectAt));
    const text = s.slice(rejectAt + 9);
    const m = /^([245]\d\d)(?: ([245]\.\d{1,3}\.\d{1,3}))? ?/.exec(text);
    let reason = m === null ? text : text.slice(m[0].length);
    const dots = reason.indexOf("... ");
    if (reason.startsWith("<") && dots > 0) reason = reason.slice(dots + 4);
    const stage: RejectStage =
      name === "check_relay" ? "connect" : name === "check_mail" ? "mail" : name === "check_rcpt" ? "rcpt" : name.startsWith("check_") ? "data" : "other";
    const o = qid !== null ? this.messages.peek(qid) : undefined;
    emit({
      type: "rejected",
      ts_unix_ms: p.ts_unix_ms,
      source: "sendmail",
      raw,
      queue_id: qid,
      stage,
      reason_class: classifyRejectReason(text),
      reason,
      smtp_code: m?.[1] ?? null,
      dsn: m?.[2] ?? null,
      client_ip: relay.ip,
      client_host: relay.host,
      sender: stage === "mail" && arg1 !== null ? stripAngles(arg1) : (o?.sender ?? null),
      recipient: stage === "rcpt" && arg1 !== null ? stripAngles(arg1) : null,
      helo: null,
      sasl_user: o?.sasl_user ?? null,
    });
    return true;
  }

  /** `[ip]: possible SMTP attack: command=AUTH, count=5`: sendmail's own brute-force note, one failure. */
  private attack(s: string, r: number, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    if (!s.includes("command=AUTH", r)) return true;
    const close = s.lastIndexOf("]", s.indexOf(": possible SMTP attack", r));
    const open = close > 0 ? s.lastIndexOf("[", close) : -1;
    emit({
      type: "auth_failure",
      ts_unix_ms: p.ts_unix_ms,
      source: "sendmail",
      raw,
      client_ip: open >= 0 ? normalizeIp(s.slice(open + 1, close)) : null,
      username: null,
      mechanism: null,
      service: "smtp",
      reason: s.slice(s.indexOf("possible SMTP attack", r)),
      attempts: 1,
    });
    return true;
  }
}
