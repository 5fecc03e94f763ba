import type { MailEventSink, MessageOrigin, RejectEvent } from "../events/mail-event.js";
import type { FamilyLineParser } from "../parse/family-line-parser.js";
import { BoundedLruMap, DEFAULT_MAX_TRACKED_MESSAGES, MESSAGE_IDLE_EXPIRY_MS } from "../state/bounded-lru-map.js";
import type { LogLinePrefix } from "../syslog/parse-syslog-prefix.js";
import { normalizeIp, toInt } from "../text/mail-text.js";

interface QmailDelivery {
  msg: string;
  recipient: string;
  channel: string;
}

const INFO_PREFIXES = ["new msg ", "status: ", "triple bounce", "bounce msg ", "warning: ", "alert: ", "running", "exiting", "delivery ", "ok ", "end ", "pid ", "cdb "];

/**
 * qmail parser (syslog `qmail:` with or without the epoch stamp, multilog
 * `@tai64n` lines, Plesk's qmail) plus the add-ons that log next to it:
 * `rblsmtpd` / qmail-smtpd RBL refusals, vpopmail `vchkpw-*` logins and
 * Plesk `smtp_auth`. qmail-send numbers messages by inode (`msg N`, reused
 * after `end msg N`) and deliveries by a counter (`delivery D`), so both are
 * tracked: `info msg` is the received message (`uid` is the injecting
 * user), `starting delivery D: msg N to remote x` maps D to N, and
 * `delivery D: success|deferral|failure` is the outcome.
 */
export class QmailLineParser implements FamilyLineParser {
  private readonly messages: BoundedLruMap<string, MessageOrigin>;
  private readonly deliveries: BoundedLruMap<string, QmailDelivery>;

  constructor(options: { maxTrackedMessages?: number } = {}) {
    const max = options.maxTrackedMessages ?? DEFAULT_MAX_TRACKED_MESSAGES;
    this.messages = new BoundedLruMap(max, { idleExpiryMs: MESSAGE_IDLE_EXPIRY_MS });
    this.deliveries = new BoundedLruMap(max, { idleExpiryMs: MESSAGE_IDLE_EXPIRY_MS });
  }

  /** Parses one qmail-family line (program `qmail`, `qmail-send`, `rblsmtpd`, `vpopmail`, `smtp_auth`, ... or none). */
  parse(p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    this.messages.advance(p.ts_unix_ms);
    this.deliveries.advance(p.ts_unix_ms);
    let s = p.message;
    // syslog'd qmail-send: "1157520813.485077 new msg 53"
    const c = s.charCodeAt(0);
    if (c >= 48 && c <= 57) {
      const sp = s.indexOf(" ");
      if (sp > 9 && s.charCodeAt(sp - 7) === 46) s = s.slice(sp + 1);
    }
    const program = p.program ?? "";
    if (s.startsWith("info msg ")) return this.info(s, p, raw, emit);
    if (s.startsWith("starting delivery ")) return this.starting(s);
    if (s.startsWith("delivery ")) return this.outcome(s, p, raw, emit);
    if (s.startsWith("end msg ")) {
      this.messages.delete(s.slice(8).trim());
      return true;
    }
    if (s.startsWith("rblsmtpd: ") || program === "rblsmtpd") return this.rbl(s.startsWith("rblsmtpd: ") ? s.slice(10) : s, p, raw, emit);
    if (s.startsWith("qmail-smtpd: ") && s.includes("rbl")) {
      const ip = /ip (\S+)/.exec(s)?.[1] ?? null;
      emit(reject(p, raw, ip === null ? null : normalizeIp(ip), s.slice(13), "rbl"));
      return true;
    }
    if (s.startsWith("vchkpw-")) return this.vchkpw(s, p, raw, emit);
    if (program === "smtp_auth" || s.startsWith("smtp_auth: ")) return this.smtpAuth(s.startsWith("smtp_auth: ") ? s.slice(11) : s, p, raw, emit);
    if (program === "tcpserver" || program === "qmail-queue-handlers" || program === "qmail-remote-handlers" || program === "qmail-local-handlers") return true;
    if (s.startsWith("tcpserver: ")) return true;
    for (const prefix of INFO_PREFIXES) if (s.startsWith(prefix)) return true;
    return false;
  }

  /** `info msg 53: bytes 246 from <me@domain> qp 20345 uid 666` */
  private info(s: string, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const colon = s.indexOf(": ", 9);
    if (colon < 0) return false;
    const msg = s.slice(9, colon);
    const fromAt = s.indexOf(" from <", colon);
    const close = fromAt < 0 ? -1 : s.indexOf("> ", fromAt);
    const sender = fromAt >= 0 ? s.slice(fromAt + 7, close < 0 ? s.length : close) : null;
    const uidAt = s.lastIndexOf(" uid ");
    const uid = uidAt < 0 ? null : toInt(s.slice(uidAt + 5).trim());
    const bytes = toInt(/bytes (\d+)/.exec(s)?.[1]);
    const origin: MessageOrigin = { queue_id: msg, sender, client_ip: null, client_host: null, sasl_user: null, local_user: null, local_uid: uid, script: null, message_id: null };
    this.messages.set(msg, origin);
    emit({ type: "received", ts_unix_ms: p.ts_unix_ms, source: "qmail", raw, ...origin, null_sender: sender === "", size_bytes: bytes, nrcpt: null, sasl_method: null, protocol: null, bounce_of: null, recipients: [] });
    return true;
  }

  /** `starting delivery 4: msg 53 to remote me@wherever` */
  private starting(s: string): boolean {
    const m = /^starting delivery (\d+): msg (\d+) to (local|remote) (.*)$/.exec(s.trimEnd());
    if (m === null) return false;
    this.deliveries.set(m[1] ?? "", { msg: m[2] ?? "", channel: m[3] ?? "", recipient: m[4] ?? "" });
    return true;
  }

  /** `delivery 4: success: 1.2.3.4_accepted_message./Remote_host_said:_250_OK/` */
  private outcome(s: string, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const m = /^delivery (\d+): (success|deferral|failure): ?(.*)$/.exec(s);
    if (m === null) return false;
    const id = m[1] ?? "";
    const d = this.deliveries.peek(id);
    this.deliveries.delete(id);
    if (d === undefined) return true;
    const type = m[2] === "success" ? "delivered" : m[2] === "deferral" ? "deferred" : "bounced";
    emit({
      type,
      ts_unix_ms: p.ts_unix_ms,
      source: "qmail",
      raw,
      queue_id: d.msg,
      recipient: d.recipient,
      orig_recipient: null,
      relay: d.channel,
      dsn: null,
      status_text: (m[3] ?? "").replace(/_/g, " "),
      origin: this.messages.peek(d.msg) ?? null,
    });
    return true;
  }

  /** `198.51.100.77 pid 19597 sbl-xbl.spamhaus.org: 451 http://...` or `relays.ordb.org blocked 193.111.120.47 ...`. */
  private rbl(s: string, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    let m = /^(\S+) pid \d+(?: \S+)?: (.*)$/.exec(s);
    if (m !== null) {
      emit(reject(p, raw, normalizeIp(m[1] ?? ""), m[2] ?? "", "rbl"));
      return true;
    }
    m = /^(\S+) blocked (\S+)/.exec(s);
    if (m !== null) {
      emit(reject(p, raw, normalizeIp(m[2] ?? ""), s, "rbl"));
      return true;
    }
    return false;
  }

  /** `vchkpw-pop3: password fail user@dom:1.2.3.4`, `vchkpw-smtp: vpopmail user not found u@d:ip`, `(PLAIN) login success u@d:ip`. */
  private vchkpw(s: string, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const colon = s.indexOf(": ");
    if (colon < 0) return false;
    const service = s.slice(7, colon);
    const text = s.slice(colon + 2);
    const success = text.includes("login success");
    const failure = !success && (text.includes("fail") || text.includes("not found") || text.includes("invalid"));
    if (!success && !failure) return true;
    const last = text.slice(text.lastIndexOf(" ") + 1);
    const sep = last.lastIndexOf(":");
    const username = sep > 0 ? last.slice(0, sep) : last;
    const ip = sep > 0 ? normalizeIp(last.slice(sep + 1)) : null;
    const mech = /^\((\w[\w-]*)\)/.exec(text)?.[1] ?? null;
    emit({
      type: success ? "auth_success" : "auth_failure",
      ts_unix_ms: p.ts_unix_ms,
      source: "qmail",
      raw,
      client_ip: ip !== null && ip.length > 0 ? ip : null,
      username: username.length > 0 ? username : null,
      mechanism: mech === null ? null : mech.toUpperCase(),
      service,
      reason: success ? null : text.slice(0, text.lastIndexOf(" ")).trim(),
      attempts: 1,
    });
    return true;
  }

  /** Plesk: `smtp_auth: SMTP user u@d : /var/qmail/mailnames/d/u logged in from host [ip]`, `smtp_auth: FAILED: u@d - password incorrect from host [ip]`. */
  private smtpAuth(s: string, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const open = s.lastIndexOf("[");
    const close = s.lastIndexOf("]");
    const ip = open >= 0 && close > open ? normalizeIp(s.slice(open + 1, close)) : null;
    let m = /^SMTP user (\S+) : .* logged in from /.exec(s);
    if (m !== null) {
      emit({ type: "auth_success", ts_unix_ms: p.ts_unix_ms, source: "qmail", raw, client_ip: ip, username: m[1] ?? null, mechanism: null, service: "smtp", reason: null, attempts: 1 });
      return true;
    }
    m = /^FAILED: (\S*) - (.*?) from /.exec(s);
    if (m !== null) {
      emit({ type: "auth_failure", ts_unix_ms: p.ts_unix_ms, source: "qmail", raw, client_ip: ip, username: m[1] || null, mechanism: null, service: "smtp", reason: m[2] ?? null, attempts: 1 });
      return true;
    }
    return s.startsWith("SMTP connect from ") || s.startsWith("smtp_auth: ");
  }
}

function reject(p: LogLinePrefix, raw: string, ip: string | null, reason: string, cls: "rbl"): RejectEvent {
  const code = /^([245]\d\d) /.exec(reason)?.[1] ?? null;
  return {
    type: "rejected",
    ts_unix_ms: p.ts_unix_ms,
    source: "qmail",
    raw,
    queue_id: null,
    stage: "connect",
    reason_class: cls,
    reason: code === null ? reason : reason.slice(4),
    smtp_code: code,
    dsn: null,
    client_ip: ip,
    client_host: null,
    sender: null,
    recipient: null,
    helo: null,
    sasl_user: null,
  };
}
