import type { MailEventSink, MessageOrigin } from "../events/mail-event.js";
import type { FamilyLineParser } from "../parse/family-line-parser.js";
import { BoundedLruMap, DEFAULT_MAX_TRACKED_MESSAGES, MESSAGE_IDLE_EXPIRY_MS } from "../state/bounded-lru-map.js";
import type { LogLinePrefix } from "../syslog/parse-syslog-prefix.js";
import { classifyRejectReason } from "../text/classify-reject-reason.js";
import { normalizeIp, stripAngles, toInt } from "../text/mail-text.js";

interface Session {
  ip: string | null;
  host: string | null;
  user: string | null;
}

/** `key=value` or `key="quoted value"` from an OpenSMTPD ≥ 6 event line. */
function kv(s: string, key: string): string | null {
  const k = s.indexOf(` ${key}=`);
  if (k < 0) return null;
  const start = k + key.length + 2;
  if (s.charCodeAt(start) === 34) {
    const close = s.indexOf('"', start + 1);
    return s.slice(start + 1, close < 0 ? s.length : close);
  }
  const end = s.indexOf(" ", start);
  return s.slice(start, end < 0 ? s.length : end);
}

/**
 * OpenSMTPD (program `smtpd`) parser for the 6.x event format:
 * `<session> smtp connected address=IP host=H`, `smtp authentication user=U result=ok|permfail`,
 * `smtp message msgid=M size=N nrcpt=N`, `smtp envelope evpid=E from=<s> to=<r>`,
 * `mta delivery evpid=E from=<s> to=<r> ... result="Ok|TempFail|PermFail" stat="..."`,
 * `smtp failed-command command="RCPT TO:<x>" result="550 ..."`; and the 5.x
 * `smtp-in: Accepted message ...` form for receptions. Sessions and messages are
 * correlated by session id and msgid (the first 8 hex digits of an evpid).
 */
export class OpensmtpdLineParser implements FamilyLineParser {
  private readonly sessions = new BoundedLruMap<string, Session>(10_000);
  private readonly messages: BoundedLruMap<string, MessageOrigin>;

  constructor(options: { maxTrackedMessages?: number } = {}) {
    this.messages = new BoundedLruMap(options.maxTrackedMessages ?? DEFAULT_MAX_TRACKED_MESSAGES, { idleExpiryMs: MESSAGE_IDLE_EXPIRY_MS });
  }

  /** Parses one line of OpenSMTPD's `smtpd`. */
  parse(p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    this.messages.advance(p.ts_unix_ms);
    const s = p.message;
    if (s.startsWith("smtp-in: ")) return this.legacy(s, p, raw, emit);
    const sp = s.indexOf(" ");
    if (sp !== 16) return s.startsWith("info: ") || s.startsWith("warn: ") || s.startsWith("debug: ");
    const sid = s.slice(0, 16);
    const rest = s.slice(17);
    if (rest.startsWith("smtp connected ") || rest.startsWith("smtp event=connected ")) {
      const ip = kv(rest, "address");
      this.sessions.set(sid, { ip: ip === null ? null : normalizeIp(ip), host: kv(rest, "host"), user: null });
      return true;
    }
    const session = this.sessions.peek(sid) ?? { ip: kv(rest, "address"), host: kv(rest, "host"), user: null };
    if (rest.startsWith("smtp authentication ") || rest.startsWith("smtp event=authentication ")) {
      const user = kv(rest, "user");
      const ok = kv(rest, "result") === "ok";
      if (ok) session.user = user;
      emit({ type: ok ? "auth_success" : "auth_failure", ts_unix_ms: p.ts_unix_ms, source: "opensmtpd", raw, client_ip: session.ip, username: user, mechanism: null, service: "smtp", reason: ok ? null : kv(rest, "result"), attempts: 1 });
      return true;
    }
    if (rest.startsWith("smtp message ") || rest.startsWith("smtp event=message ")) {
      const msgid = kv(rest, "msgid") ?? "";
      const origin: MessageOrigin = { queue_id: msgid, sender: null, client_ip: session.ip, client_host: session.host, sasl_user: session.user, local_user: null, local_uid: null, script: null, message_id: null };
      this.messages.set(msgid, origin);
      emit({ type: "received", ts_unix_ms: p.ts_unix_ms, source: "opensmtpd", raw, ...origin, null_sender: false, size_bytes: toInt(kv(rest, "size")), nrcpt: toInt(kv(rest, "nrcpt")), sasl_method: null, protocol: kv(rest, "proto"), bounce_of: null, recipients: [] });
      return true;
    }
    if (rest.startsWith("smtp envelope ")) {
      const evpid = kv(rest, "evpid") ?? "";
      const o = this.messages.peek(evpid.slice(0, 8));
      const from = kv(rest, "from");
      if (o !== undefined && from !== null) o.sender = stripAngles(from);
      return true;
    }
    if (rest.startsWith("mta delivery ") || rest.startsWith("delivery evpid=")) {
      const evpid = kv(rest, "evpid") ?? "";
      const result = kv(rest, "result") ?? "";
      const type = result === "Ok" ? "delivered" : result === "TempFail" ? "deferred" : "bounced";
      const to = kv(rest, "to");
      emit({ type, ts_unix_ms: p.ts_unix_ms, source: "opensmtpd", raw, queue_id: evpid.slice(0, 8), recipient: to === null ? "" : stripAngles(to), orig_recipient: null, relay: kv(rest, "relay"), dsn: null, status_text: kv(rest, "stat"), origin: this.messages.peek(evpid.slice(0, 8)) ?? null });
      return true;
    }
    if (rest.startsWith("smtp failed-command ") || rest.startsWith("smtp event=failed-command ")) {
      const command = kv(rest, "command") ?? "";
      const result = kv(rest, "result") ?? "";
      if (command.toUpperCase().startsWith("AUTH") && result.startsWith("535")) {
        emit({ type: "auth_failure", ts_unix_ms: p.ts_unix_ms, source: "opensmtpd", raw, client_ip: session.ip === null ? null : normalizeIp(session.ip), username: null, mechanism: command.split(" ")[1] ?? null, service: "smtp", reason: result, attempts: 1 });
        return true;
      }
      if (!result.startsWith("5") && !result.startsWith("4")) return true;
      const upper = command.toUpperCase();
      const stage = upper.startsWith("RCPT") ? "rcpt" : upper.startsWith("MAIL") ? "mail" : upper.startsWith("DATA") ? "data" : upper.startsWith("EHLO") || upper.startsWith("HELO") ? "helo" : "other";
      // Anchored: unanchored, a long run of "<" without ">" was retried from every "<" (quadratic).
      const addr = /^[^<]*<([^>]*)>/.exec(command)?.[1] ?? null;
      emit({
        type: "rejected", ts_unix_ms: p.ts_unix_ms, source: "opensmtpd", raw, queue_id: null, stage, reason_class: classifyRejectReason(result),
        reason: result.slice(4), smtp_code: result.slice(0, 3), dsn: null, client_ip: session.ip === null ? null : normalizeIp(session.ip), client_host: session.host,
        sender: stage === "mail" ? addr : null, recipient: stage === "rcpt" ? addr : null, helo: null, sasl_user: session.user,
      });
      return true;
    }
    if (rest.startsWith("smtp disconnected")) {
      this.sessions.delete(sid);
      return true;
    }
    return rest.startsWith("smtp ") || rest.startsWith("mta ");
  }

  /** OpenSMTPD 5.x: `smtp-in: Accepted message M on session S: from=<s>, to=<r>, size=N, ndest=N, proto=ESMTP`. */
  private legacy(s: string, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const m = /^smtp-in: Accepted message (\w+) on session \w+: from=<([^>]*)>, to=<([^>]*)>, size=(\d+), ndest=(\d+)/.exec(s);
    if (m !== null) {
      const origin: MessageOrigin = { queue_id: m[1] ?? "", sender: m[2] ?? "", client_ip: null, client_host: null, sasl_user: null, local_user: null, local_uid: null, script: null, message_id: null };
      this.messages.set(origin.queue_id, origin);
      emit({ type: "received", ts_unix_ms: p.ts_unix_ms, source: "opensmtpd", raw, ...origin, null_sender: origin.sender === "", size_bytes: toInt(m[4]), nrcpt: toInt(m[5]), sasl_method: null, protocol: /proto=(\w+)/.exec(s)?.[1] ?? null, bounce_of: null, recipients: [m[3] ?? ""] });
      return true;
    }
    return /^smtp-in: (New session|Closing session|Received disconnect|Disconnecting session|Started TLS|Failed command|Authentication|Accepted authentication)/.test(s);
  }
}
