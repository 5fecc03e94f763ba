import type { MailEventSink, MessageOrigin } from "../events/mail-event.js";
import type { FamilyLineParser } from "../parse/family-line-parser.js";
import { RelayContinuations } from "../parse/relay-continuations.js";
import { BoundedLruMap, DEFAULT_MAX_TRACKED_MESSAGES, MESSAGE_IDLE_EXPIRY_MS } from "../state/bounded-lru-map.js";
import type { LogLinePrefix } from "../syslog/parse-syslog-prefix.js";
import { fieldValue, normalizeIp, ownString, sharedNullable, sharedString, stripAngles, toInt } from "../text/mail-text.js";
import {
  D_BOUNCE,
  D_CLEANUP,
  D_INFO,
  D_OTHER,
  D_PICKUP,
  D_PLESK,
  D_POSTSCREEN,
  D_QMGR,
  D_SMTPD,
  daemonCode,
  KNOWN_WARNINGS,
  postfixQueueIdLength,
  readAddress,
  serviceOf,
  SMTPD_INFO,
} from "./postfix-line-kinds.js";
import { parseContentReject, parseReject } from "./parse-postfix-reject.js";

export { postfixQueueIdLength } from "./postfix-line-kinds.js";

/** What the parser remembers about one queue id between its log lines. */
interface PostfixMessage {
  origin: MessageOrigin;
  /** smtpd `client=`, pickup or cleanup was seen: the message was created while we watched. */
  created: boolean;
  /** The received event was emitted (qmgr logs `from=` again on every retry). */
  received: boolean;
  sasl_method: string | null;
  bounce_of: string | null;
  /** The earlier queue entry of the same message (content-filter re-injection, MSP hand-off), or null. */
  continues: MessageOrigin | null;
}


/**
 * Postfix (also Plesk's Postfix) line parser with queue-id correlation:
 * smtpd `client=` (client, SASL user), pickup `uid=`, cleanup `message-id=`
 * and `X-PHP-Originating-Script` header logs, qmgr `from=` are joined per
 * queue id, so that the received event and every delivery, deferral and
 * bounce carry the sender identities of their message. The received event is
 * emitted at the first qmgr `from=` of a message whose creation (smtpd,
 * pickup or cleanup line) was seen: qmgr repeats `from=` on every retry, and
 * a message created before the log started was not received while we watched.
 */
export class PostfixLineParser implements FamilyLineParser {
  private readonly messages: BoundedLruMap<string, PostfixMessage>;

  private readonly continuations: RelayContinuations;

  /** `continuations` is shared with the other MTA parsers of a mixed log (Sendmail MSP handing mail to Postfix). */
  constructor(options: { maxTrackedMessages?: number; continuations?: RelayContinuations } = {}) {
    this.messages = new BoundedLruMap(options.maxTrackedMessages ?? DEFAULT_MAX_TRACKED_MESSAGES, { idleExpiryMs: MESSAGE_IDLE_EXPIRY_MS });
    this.continuations = options.continuations ?? new RelayContinuations();
  }

  /** Which Postfix daemon a program tag names; the dispatcher caches it per tag. */
  programCode(program: string): number {
    return daemonCode(program);
  }

  /** Queue ids currently remembered (bounded by maxTrackedMessages). */
  get trackedMessages(): number {
    return this.messages.size;
  }

  /** Parses one line of a program whose name starts with `postfix`. */
  parse(p: LogLinePrefix, raw: string, emit: MailEventSink, programCode?: number): boolean {
    this.messages.advance(p.ts_unix_ms);
    const program = p.program ?? "";
    const daemon = programCode ?? daemonCode(program);
    if (daemon === D_PLESK) return this.plesk(program, p.message);
    if (daemon === D_INFO) return true;
    if (daemon === D_OTHER) return false;
    const msg = p.message;
    const qidLen = postfixQueueIdLength(msg);
    const qid = qidLen > 0 ? msg.slice(0, qidLen) : null;
    const rest = qidLen > 0 ? qidLen + 2 : 0;
    switch (daemon) {
      case D_SMTPD:
        return this.smtpd(program, qid, msg, rest, p, raw, emit);
      case D_CLEANUP:
        return qid !== null ? this.cleanup(qid, msg, rest, p, raw, emit) : msg.startsWith("warning: ");
      case D_QMGR:
        return qid !== null ? this.qmgr(qid, msg, rest, p, raw, emit) : msg.startsWith("warning: ");
      case D_PICKUP:
        return qid !== null && this.pickup(qid, msg, rest);
      case D_BOUNCE:
        return qid !== null ? this.bounce(qid, msg, rest) : msg.startsWith("warning: ");
      case D_POSTSCREEN:
        return this.postscreen(msg, p, raw, emit);
      default:
        // D_DELIVERY
        if (qid !== null) {
          if (msg.startsWith("to=", rest)) return this.delivery(qid, msg, rest, p, raw, emit);
          // "host x said: ...", "lost connection with ...", "conversation with ... timed out", TLS notes.
          return true;
        }
        return SMTPD_INFO.matchesAt(msg) || msg.startsWith("warning: ") || msg.startsWith("statistics: ");
    }
  }

  private state(qid: string): PostfixMessage {
    let m = this.messages.get(qid);
    if (m === undefined) {
      // Kept per queue id: its strings are made its own (ownString) so they do not hold the log chunk they were read from.
      const id = ownString(qid);
      m = {
        origin: { queue_id: id, sender: null, client_ip: null, client_host: null, sasl_user: null, local_user: null, local_uid: null, script: null, message_id: null },
        created: false,
        received: false,
        sasl_method: null,
        bounce_of: null,
        continues: null,
      };
      this.messages.setAbsent(id, m);
    }
    return m;
  }

  /** What is known of a queue id's message, for a rejection of it (its age unchanged). */
  private originOf(qid: string): MessageOrigin | undefined {
    return this.messages.peek(qid)?.origin;
  }

  private smtpd(program: string, qid: string | null, msg: string, rest: number, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    if (qid !== null) {
      if (msg.startsWith("client=", rest)) {
        const m = this.state(qid);
        m.created = true;
        const clientEnd = msg.indexOf(",", rest);
        const client = msg.slice(rest + 7, clientEnd < 0 ? msg.length : clientEnd);
        const open = client.indexOf("[");
        const close = client.indexOf("]", open);
        if (open >= 0 && close > open) {
          m.origin.client_host = sharedString(client.slice(0, open));
          m.origin.client_ip = sharedString(normalizeIp(client.slice(open + 1, close)));
        }
        if (clientEnd > 0) {
          const user = fieldValue(msg, "sasl_username=", clientEnd, ",");
          if (user !== null && user.length > 0) {
            m.origin.sasl_user = sharedString(user);
            m.sasl_method = sharedNullable(fieldValue(msg, "sasl_method=", clientEnd, ","));
            emit({
              type: "auth_success",
              ts_unix_ms: p.ts_unix_ms,
              source: "postfix",
              raw,
              client_ip: m.origin.client_ip,
              username: user,
              mechanism: m.sasl_method === null ? null : m.sasl_method.toUpperCase(),
              service: serviceOf(program),
              reason: null,
              attempts: 1,
            });
          }
        }
        return true;
      }
      if (msg.startsWith("reject: ", rest)) return parseReject(qid, msg, rest + 8, p, raw, emit, this.originOf(qid));
      if (msg.startsWith("milter-reject: ", rest)) return parseReject(qid, msg, rest + 15, p, raw, emit, this.originOf(qid));
      // reject_warning, milter discard/hold, filter, redirect, warn, info, hold: understood, nothing refused.
      return /^[a-z_-]+: /.test(msg.slice(rest, rest + 24));
    }
    // By first character: most lines are `connect from` / `disconnect from`, which need no other check.
    const c0 = msg.charCodeAt(0);
    if (c0 === 78 /* N */) {
      if (msg.startsWith("NOQUEUE: reject: ")) return parseReject(null, msg, 17, p, raw, emit, undefined);
      if (msg.startsWith("NOQUEUE: milter-reject: ")) return parseReject(null, msg, 24, p, raw, emit, undefined);
      if (msg.startsWith("NOQUEUE: ")) return /^NOQUEUE: [a-z_-]+: /.test(msg.slice(0, 40)) || SMTPD_INFO.matchesAt(msg);
    } else if (c0 === 119 /* w */ && msg.startsWith("warning: ")) {
      if (msg.includes(" authentication failed")) return this.saslFailure(program, msg, p, raw, emit);
      return this.knownWarning(msg);
    }
    return SMTPD_INFO.matchesAt(msg);
  }

  /** A standard `warning:` diagnostic; the text after "host[ip]: " counts too. */
  private knownWarning(msg: string): boolean {
    if (KNOWN_WARNINGS.matchesAt(msg, 9)) return true;
    // "warning: 1.2.3.4: address not listed for hostname x", "warning: host[1.2.3.4]: ..."
    const colon = msg.indexOf(": ", 9);
    if (colon > 0) {
      const after = msg.slice(colon + 2, colon + 40);
      if (after.startsWith("address not listed for hostname") || after.startsWith("hostname ") || after.startsWith("RBL lookup error") || after.startsWith("Illegal address syntax")) return true;
    }
    return false;
  }

  /**
   * `warning: host[ip]: SASL LOGIN authentication failed: reason[, sasl_username=user]`.
   * Postfix logs `sasl_username=(unavailable)` when Dovecot dropped the request (the 454 form).
   */
  private saslFailure(program: string, msg: string, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const saslAt = msg.indexOf(": SASL ", 9);
    if (saslAt < 0) return false;
    const client = msg.slice(9, saslAt);
    const open = client.indexOf("[");
    const close = client.indexOf("]", open);
    if (open < 0 || close < 0) return false;
    const mechEnd = msg.indexOf(" authentication failed", saslAt + 7);
    if (mechEnd < 0) return false;
    const mechanism = msg.slice(saslAt + 7, mechEnd).toUpperCase();
    let reasonStart = mechEnd + 22;
    if (msg.startsWith(": ", reasonStart)) reasonStart += 2;
    else if (msg.charCodeAt(reasonStart) === 58) reasonStart += 1;
    const userAt = msg.indexOf(", sasl_username=", reasonStart);
    let username: string | null = null;
    const reason = msg.slice(reasonStart, userAt < 0 ? msg.length : userAt).trim();
    if (userAt >= 0) {
      const u = msg.slice(userAt + 16).trim();
      username = u.length === 0 || u === "(unavailable)" ? null : u;
    }
    emit({
      type: "auth_failure",
      ts_unix_ms: p.ts_unix_ms,
      source: "postfix",
      raw,
      client_ip: normalizeIp(client.slice(open + 1, close)),
      username,
      mechanism,
      service: serviceOf(program),
      reason: reason.length > 0 ? reason : null,
      attempts: 1,
    });
    return true;
  }

  private cleanup(qid: string, msg: string, rest: number, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    if (msg.startsWith("message-id=", rest)) {
      const m = this.state(qid);
      m.created = true;
      const id = stripAngles(msg.slice(rest + 11).trim());
      m.origin.message_id = id.length > 0 ? ownString(id) : null;
      const prev = this.continuations.continuationOf(m.origin, p.ts_unix_ms);
      if (prev !== null) {
        m.continues = prev;
        const o = m.origin;
        o.sasl_user = prev.sasl_user;
        o.local_user = prev.local_user;
        o.local_uid = prev.local_uid;
        o.script = prev.script;
        o.client_ip = prev.client_ip;
        o.client_host = prev.client_host;
      }
      return true;
    }
    if (msg.startsWith("milter-reject: ", rest)) return parseReject(qid, msg, rest + 15, p, raw, emit, this.originOf(qid));
    if (msg.startsWith("reject: ", rest)) {
      // header_checks / body_checks REJECT: "reject: header Subject: x from host[ip]; from=<> to=<> ...: text"
      return parseContentReject(qid, msg, rest + 8, p, raw, emit, this.originOf(qid));
    }
    const actionEnd = msg.indexOf(": ", rest);
    if (actionEnd < 0 || actionEnd - rest > 24) return msg.startsWith("resent-message-id=", rest);
    if (msg.startsWith("header X-PHP-Originating-Script: ", actionEnd + 2)) {
      const valueStart = actionEnd + 2 + 33;
      const fromAt = msg.lastIndexOf(" from ", msg.indexOf("; from=<", valueStart) > 0 ? msg.indexOf("; from=<", valueStart) : msg.length);
      const value = msg.slice(valueStart, fromAt > valueStart ? fromAt : msg.length).trim();
      const m = this.state(qid);
      m.created = true;
      if (value.length > 0) m.origin.script = sharedString(value);
    }
    // warning/info/hold/discard/prepend/replace/redirect/milter-header-*: understood.
    return true;
  }

  private qmgr(qid: string, msg: string, rest: number, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    if (msg.startsWith("from=", rest)) {
      const [sender, after] = readAddress(msg, rest + 5);
      const m = this.state(qid);
      m.origin.sender = sharedNullable(sender);
      if (msg.startsWith(", status=expired", after)) return true;
      if (m.created && !m.received) {
        m.received = true;
        const o = m.origin;
        if (m.continues !== null) return true; // the same message, already counted when it first arrived
        this.continuations.register(o, p.ts_unix_ms);
        emit({
          type: "received",
          ts_unix_ms: p.ts_unix_ms,
          source: "postfix",
          raw,
          queue_id: o.queue_id,
          sender: o.sender,
          client_ip: o.client_ip,
          client_host: o.client_host,
          sasl_user: o.sasl_user,
          local_user: o.local_user,
          local_uid: o.local_uid,
          script: o.script,
          message_id: o.message_id,
          null_sender: sender.length === 0,
          size_bytes: toInt(fieldValue(msg, "size=", after, ",")),
          nrcpt: toInt(fieldValue(msg, "nrcpt=", after, " ")),
          sasl_method: m.sasl_method,
          protocol: null,
          bounce_of: m.bounce_of,
          recipients: [],
        });
      }
      return true;
    }
    if (msg.startsWith("removed", rest)) {
      this.messages.delete(qid);
      return true;
    }
    if (msg.startsWith("to=", rest)) return this.delivery(qid, msg, rest, p, raw, emit);
    return msg.startsWith("skipped", rest) || msg.startsWith("warning: ", rest);
  }

  private pickup(qid: string, msg: string, rest: number): boolean {
    if (!msg.startsWith("uid=", rest)) return false;
    const space = msg.indexOf(" ", rest);
    const uid = toInt(msg.slice(rest + 4, space < 0 ? msg.length : space));
    const m = this.state(qid);
    m.created = true;
    m.origin.local_uid = uid;
    if (space > 0 && msg.startsWith("from=", space + 1)) {
      const [sender] = readAddress(msg, space + 6);
      if (m.origin.sender === null) m.origin.sender = sharedNullable(sender);
    }
    return true;
  }

  /** `QID: sender non-delivery notification: QID2`: QID2 is a null-sender bounce of QID. */
  private bounce(qid: string, msg: string, rest: number): boolean {
    const marker = msg.indexOf(" notification: ", rest);
    if (marker < 0) return false;
    const child = msg.slice(marker + 15).trim();
    if (postfixQueueIdLength(`${child}: `) > 0) {
      const c = this.state(child);
      c.bounce_of = qid;
    }
    return true;
  }

  private delivery(qid: string, msg: string, rest: number, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const [recipient, after] = readAddress(msg, rest + 3);
    let orig: string | null = null;
    let i = after;
    if (msg.startsWith(", orig_to=", i)) {
      const [o, end] = readAddress(msg, i + 10);
      orig = o;
      i = end;
    }
    const statusAt = msg.indexOf(", status=", i);
    if (statusAt < 0) return false;
    const statusEnd = msg.indexOf(" ", statusAt + 9);
    const status = msg.slice(statusAt + 9, statusEnd < 0 ? msg.length : statusEnd);
    let type: "delivered" | "deferred" | "bounced";
    if (status === "sent") type = "delivered";
    else if (status === "deferred") type = "deferred";
    else if (status === "bounced" || status === "expired") type = "bounced";
    // Address verification probes (deliverable/undeliverable) deliver nothing.
    else return status.length > 0;
    const relay = fieldValue(msg, ", relay=", i, ",");
    const dsn = fieldValue(msg, ", dsn=", i, ",");
    let text: string | null = null;
    if (statusEnd > 0 && msg.charCodeAt(statusEnd + 1) === 40) {
      const close = msg.lastIndexOf(")");
      text = msg.slice(statusEnd + 2, close > statusEnd ? close : msg.length);
    }
    const m = this.messages.peek(qid);
    if (type === "delivered" && m !== undefined && this.continuations.isHandOff(m.origin, relay)) return true;
    emit({
      type,
      ts_unix_ms: p.ts_unix_ms,
      source: "postfix",
      raw,
      queue_id: qid,
      recipient,
      orig_recipient: orig,
      relay,
      dsn,
      status_text: text,
      origin: m === undefined ? null : m.origin,
    });
    return true;
  }

  private postscreen(msg: string, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    if (msg.startsWith("NOQUEUE: reject: ")) return parseReject(null, msg, 17, p, raw, emit, undefined);
    return /^(CONNECT|PASS|DNSBL|PREGREET|HANGUP|DISCONNECT|WHITELISTED|WHITELIST|BLACKLISTED|DENYLISTED|ALLOWLISTED|COMMAND|NON-SMTP|BARE|cache|warning|NOQUEUE)\b/.test(msg.slice(0, 16));
  }

  /** Plesk's `postfix-local` delivery agent logs its own lines; deliveries are counted from the pipe status line. */
  private plesk(program: string, msg: string): boolean {
    if (program !== "postfix-local") return false;
    return msg.startsWith("postfix-local: from=") || msg.startsWith("Unknown user:") || msg.startsWith("cannot chdir to mailname dir");
  }
}
