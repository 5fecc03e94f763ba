import type { MailEventSink, MessageOrigin, RejectStage } from "../events/mail-event.js";
import type { FamilyLineParser } from "../parse/family-line-parser.js";
import { BoundedLruMap, DEFAULT_MAX_TRACKED_MESSAGES, MESSAGE_IDLE_EXPIRY_MS } from "../state/bounded-lru-map.js";
import type { LogLinePrefix } from "../syslog/parse-syslog-prefix.js";
import { classifyRejectReason } from "../text/classify-reject-reason.js";
import { isLoopback, normalizeIp, ownNullable, ownOrigin, stripAngles, toInt } from "../text/mail-text.js";
import { readEximHost } from "./read-exim-host.js";
import { eximMessageIdLength, ID_INFO, INFO, markAuthAndRejected, readFields, serviceFromListener } from "./exim-line-fields.js";

/** How long a `cwd=` line without pid may wait for the `<=` line of the same submission. */
const CWD_MATCH_WINDOW_MS = 2_000;

export { eximMessageIdLength } from "./exim-line-fields.js";

/** What the parser remembers about one message id. */
interface EximMessage {
  origin: MessageOrigin;
}

interface PendingCwd {
  /** The working directory, when it can point at a script; null for Exim's own runs, its spool and "/". */
  script: string | null;
  pid: number | null;
  ts_unix_ms: number;
}

/**
 * Exim mainlog parser (also Exim lines relayed through syslog). The `<=` line
 * carries nearly everything about a message (sender, client, `A=` login, `U=`
 * local user, `P=` protocol, `S=` size, `id=` message-id); `=>`, `->`, `==`
 * and `**` lines are joined to it by message id. A preceding `cwd=` line
 * (log_selector +arguments) is attached to the next local submission as its
 * script directory, except Exim's own spool directory.
 */
export class EximLineParser implements FamilyLineParser {
  private readonly messages: BoundedLruMap<string, EximMessage>;
  private readonly cwdByPid = new BoundedLruMap<number, PendingCwd>(4096);
  private lastCwd: PendingCwd | null = null;

  constructor(options: { maxTrackedMessages?: number } = {}) {
    this.messages = new BoundedLruMap(options.maxTrackedMessages ?? DEFAULT_MAX_TRACKED_MESSAGES, { idleExpiryMs: MESSAGE_IDLE_EXPIRY_MS });
  }

  /** Message ids currently remembered. */
  get trackedMessages(): number {
    return this.messages.size;
  }

  /** Parses the text after the timestamp (mainlog) or after `exim[pid]: ` (syslog). */
  parse(p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    this.messages.advance(p.ts_unix_ms);
    const s = p.message;
    let i = 0;
    let pid = p.pid;
    if (s.length > 0 && s.charCodeAt(0) === 91 /* [pid] */) {
      const close = s.indexOf("] ");
      const n = close > 0 ? toInt(s.slice(1, close)) : null;
      if (n !== null) {
        pid = n;
        i = close + 2;
      }
    }
    const idLen = eximMessageIdLength(s, i);
    if (idLen === 0) return this.withoutId(s, i, pid, p, raw, emit);
    const id = s.slice(i, i + idLen);
    const r = i + idLen + 1;
    const c1 = s.charCodeAt(r);
    const c2 = s.charCodeAt(r + 1);
    const spaced = s.charCodeAt(r + 2) === 32;
    if (spaced && c1 === 60 && c2 === 61) return this.received(id, s, r + 3, pid, p, raw, emit);
    if (spaced && ((c1 === 61 && c2 === 62) || (c1 === 45 && c2 === 62))) return this.delivery("delivered", id, s, r + 3, p, raw, emit);
    if (spaced && c1 === 61 && c2 === 61) return this.delivery("deferred", id, s, r + 3, p, raw, emit);
    if (spaced && c1 === 42 && c2 === 42) return this.delivery("bounced", id, s, r + 3, p, raw, emit);
    if (s.startsWith("Completed", r)) {
      this.messages.delete(id);
      return true;
    }
    if (s.startsWith("SA: Action: ", r)) return this.spamAssassinAction(s, r + 12, id, p, raw, emit);
    const rejectedAt = s.indexOf(" rejected ", r);
    if (rejectedAt >= 0) return this.rejected(s, r, s.startsWith("rejected ", r) ? r - 1 : rejectedAt, id, p, raw, emit);
    return ID_INFO.matchesAt(s, r) || s.startsWith("frozen by ", r) || s.startsWith("unfrozen by ", r);
  }

  private withoutId(s: string, i: number, pid: number | null, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    if (s.startsWith("cwd=", i)) {
      const argsAt = s.indexOf(" args: ", i);
      const countAt = argsAt > 0 ? s.lastIndexOf(" ", argsAt - 1) : -1;
      const dir = countAt > i ? s.slice(i + 4, countAt) : s.slice(i + 4);
      // Exim re-executing itself (delivery -Mc, bounce -E<id>, queue runs -q) logs its spool folder, wherever that is: not a script.
      const selfRun = argsAt > 0 && / -(?:Mc|E\S*|q\S*|bd|bp\S*)(?: |$)/.test(s.slice(argsAt + 6));
      const script = selfRun || dir.startsWith("/var/spool/") || dir === "/" ? null : dir;
      const pending = { script: ownNullable(script), pid, ts_unix_ms: p.ts_unix_ms };
      this.lastCwd = pending;
      if (pid !== null) this.cwdByPid.set(pid, pending);
      return true;
    }
    const marks = markAuthAndRejected(s, i);
    if (marks.authAt > i) return this.authFailure(s, i, marks.authAt, p, raw, emit);
    const leadingRejected = s.startsWith("rejected ", i);
    const rejectedAt = leadingRejected ? i - 1 : marks.rejectedAt;
    if ((leadingRejected || rejectedAt >= 0) && this.rejected(s, i, rejectedAt, null, p, raw, emit)) return true;
    if (INFO.matchesAt(s, i)) return true;
    if (s.startsWith("U=", i)) return s.includes(" sender verify ", i) || s.includes(" ignoring AUTH", i) || s.includes(" Warning: ", i);
    if (s.startsWith("H=", i)) {
      // ACL warn lines and sender verification notes: "H=x [ip] Warning: ...", "H=x [ip] sender verify fail for <a>: ..."
      // (Any text after the host field: those named above and whatever else follows it.)
      return s.charCodeAt(readEximHost(s, i + 2).end) === 32;
    }
    return false;
  }

  private received(id: string, s: string, start: number, pid: number | null, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    let senderEnd = s.indexOf(" ", start);
    if (senderEnd < 0) senderEnd = s.length;
    const sender = stripAngles(s.slice(start, senderEnd));
    const f = readFields(s, senderEnd);
    const protocol = f.values.P;
    const local = protocol !== null && protocol.startsWith("local");
    const clientIp = f.H?.ip ?? null;
    const auth = f.values.A;
    let saslUser: string | null = null;
    let saslMethod: string | null = null;
    if (auth !== null) {
      const colon = auth.indexOf(":");
      saslMethod = colon < 0 ? auth : auth.slice(0, colon);
      if (colon >= 0) {
        const next = auth.indexOf(":", colon + 1);
        saslUser = auth.slice(colon + 1, next < 0 ? auth.length : next);
        if (saslUser.length === 0) saslUser = null;
      }
    }
    const caller = f.values.U;
    // U= is the calling user for local submissions, an ident answer otherwise: trust it only from this host.
    const localUser = caller !== null && (local || f.H === null || isLoopback(clientIp)) ? caller : null;
    let script: string | null = null;
    if (local) {
      const pending = (pid !== null ? this.cwdByPid.peek(pid) : undefined) ?? this.lastCwd;
      if (pending !== null && (pending.pid === pid || (pending.pid === null || pid === null)) && p.ts_unix_ms - pending.ts_unix_ms <= CWD_MATCH_WINDOW_MS) {
        script = pending.script;
        if (pid !== null) this.cwdByPid.delete(pid);
        if (this.lastCwd === pending) this.lastCwd = null;
      }
    }
    const messageId = f.values.id;
    const origin: MessageOrigin = {
      queue_id: id,
      sender,
      client_ip: clientIp,
      client_host: f.H?.host ?? null,
      sasl_user: saslUser,
      local_user: localUser,
      local_uid: null,
      script,
      message_id: messageId,
    };
    // Kept until Completed: owned strings, so the origin does not hold the log chunk its line was read from.
    ownOrigin(origin);
    this.messages.set(origin.queue_id, { origin });
    if (saslUser !== null) {
      emit({
        type: "auth_success",
        ts_unix_ms: p.ts_unix_ms,
        source: "exim",
        raw,
        client_ip: clientIp,
        username: saslUser,
        mechanism: saslMethod,
        service: serviceFromListener(s, senderEnd),
        reason: null,
        attempts: 1,
      });
    }
    emit({
      type: "received",
      ts_unix_ms: p.ts_unix_ms,
      source: "exim",
      raw,
      ...origin,
      null_sender: sender.length === 0,
      size_bytes: toInt(f.values.S),
      nrcpt: null,
      sasl_method: saslMethod,
      protocol,
      bounce_of: f.values.R,
      recipients: f.for,
    });
    return true;
  }

  private delivery(type: "delivered" | "deferred" | "bounced", id: string, s: string, start: number, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    let end = s.indexOf(" ", start);
    if (end < 0) end = s.length;
    let recipient = s.slice(start, end);
    let fieldsFrom = end;
    let textAt = -1;
    if (recipient.endsWith(":")) {
      // "** x@y: Unrouteable address"
      recipient = recipient.slice(0, -1);
      textAt = end;
    }
    let orig: string | null = null;
    if (textAt < 0 && s.charCodeAt(end + 1) === 60) {
      const close = s.indexOf(">", end + 1);
      if (close > 0) {
        orig = s.slice(end + 2, close);
        fieldsFrom = close + 1;
      }
    }
    const f = textAt < 0 ? readFields(s, fieldsFrom) : null;
    if (f !== null) textAt = f.textAt;
    let relay: string | null = null;
    if (f !== null) {
      if (f.H !== null) relay = f.H.ip !== null ? `${f.H.host ?? ""} [${f.H.ip}]`.trim() : f.H.host;
      else relay = f.values.T;
    }
    let text: string | null = null;
    if (type === "delivered") text = f?.values.C ?? null;
    else if (textAt >= 0) text = s.slice(textAt).trim();
    else if (type === "deferred") {
      const d = s.indexOf("defer (", fieldsFrom);
      if (d >= 0) text = s.slice(d);
    }
    const m = this.messages.get(id);
    emit({
      type,
      ts_unix_ms: p.ts_unix_ms,
      source: "exim",
      raw,
      queue_id: id,
      recipient: stripAngles(recipient),
      orig_recipient: orig,
      relay,
      dsn: null,
      status_text: text,
      origin: m === undefined ? null : m.origin,
    });
    return true;
  }

  /** `<auth> authenticator failed for <host> (helo) [ip]:port I=[ip]:port: 535 Incorrect authentication data (set_id=user)`. */
  private authFailure(s: string, i: number, authAt: number, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const name = s.slice(s.lastIndexOf(" ", authAt - 1) + 1, authAt);
    const h = readEximHost(s, authAt + 26);
    const setId = s.indexOf("(set_id=", h.end);
    const close = setId < 0 ? -1 : s.indexOf(")", setId);
    const username = setId >= 0 && close > setId ? s.slice(setId + 8, close) : null;
    const colon = s.indexOf(": ", h.end);
    let reason = colon < 0 ? null : s.slice(colon + 2, setId > colon ? setId : s.length).trim();
    if (reason !== null && reason.length === 0) reason = null;
    emit({
      type: "auth_failure",
      ts_unix_ms: p.ts_unix_ms,
      source: "exim",
      raw,
      client_ip: h.ip,
      username: username !== null && username.length > 0 ? username : null,
      mechanism: name.length > 0 ? name : null,
      service: serviceFromListener(s, i),
      reason,
      attempts: 1,
    });
    return true;
  }

  /**
   * `H=host [ip] F=<sender> rejected RCPT <rcpt>: reason`, `rejected MAIL <s>: ...`,
   * `rejected connection in "connect" ACL: ...`, `rejected EHLO or HELO x: ...`,
   * `rejected after DATA: ...`, `rejected by local_scan(): ...` (with or without message id).
   */
  /**
   * sa-exim's verdict at DATA: `SA: Action: permanently rejected message: score=18.8 required=5.0
   * trigger=5.0 (scanned in 9/9 secs | Message-Id: x). From <sender> (host=name [ip]) for rcpt`
   * ("temporarily rejected", "saved message to ..." likewise; only rejections are events).
   */
  private spamAssassinAction(s: string, start: number, id: string, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const rej = s.indexOf("rejected message: ", start);
    if (rej < 0) return true;
    const scanned = s.indexOf(" (scanned", rej);
    const reason = `SpamAssassin ${s.slice(rej + 18, scanned < 0 ? s.length : scanned)}`;
    const fromAt = s.indexOf(" From <", rej);
    const fromEnd = fromAt < 0 ? -1 : s.indexOf(">", fromAt + 7);
    const hostAt = s.indexOf(" (host=", rej);
    const open = hostAt < 0 ? -1 : s.indexOf(" [", hostAt);
    const close = open < 0 ? -1 : s.indexOf("])", open);
    const forAt = s.lastIndexOf(" for ");
    const host = open > hostAt + 7 ? s.slice(hostAt + 7, open) : null;
    emit({
      type: "rejected",
      ts_unix_ms: p.ts_unix_ms,
      source: "exim",
      raw,
      queue_id: id,
      stage: "data",
      reason_class: "spam",
      reason,
      smtp_code: null,
      dsn: null,
      client_ip: close > open && open > 0 ? normalizeIp(s.slice(open + 2, close)) : null,
      client_host: host === "NULL" ? null : host,
      sender: fromEnd > 0 ? s.slice(fromAt + 7, fromEnd) : null,
      recipient: forAt > rej ? s.slice(forAt + 5) : null,
      helo: null,
      sasl_user: null,
    });
    return true;
  }

  /** `at` is where " rejected " is (start - 1 when the text starts with "rejected "). */
  private rejected(s: string, start: number, at: number, id: string | null, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    if (s.startsWith("SMTP ", start)) return false; // protocol errors ("rejected connection from H=...") are notes, not refusals
    const head = s.slice(start, at + 1);
    const hAt = head.startsWith("H=") ? 0 : head.indexOf(" H=");
    const h = hAt < 0 ? null : readEximHost(head, hAt === 0 ? 2 : hAt + 3);
    let sender: string | null = null;
    const fAt = head.startsWith("F=") ? 0 : head.indexOf(" F=");
    if (fAt >= 0) {
      const v = fAt === 0 ? 2 : fAt + 3;
      let e = head.indexOf(" ", v);
      if (e < 0) e = head.length;
      sender = stripAngles(head.slice(v, e));
    }
    const what = s.slice(at + 10);
    let stage: RejectStage = "other";
    let recipient: string | null = null;
    let reasonFrom = -1;
    if (what.startsWith("RCPT ")) {
      stage = "rcpt";
      const colon = what.indexOf(": ", 5);
      recipient = stripAngles(what.slice(5, colon < 0 ? what.length : colon));
      reasonFrom = colon < 0 ? what.length : colon + 2;
    } else if (what.startsWith("MAIL ")) {
      stage = "mail";
      const colon = what.indexOf(": ", 5);
      if (sender === null) sender = stripAngles(what.slice(5, colon < 0 ? what.length : colon));
      reasonFrom = colon < 0 ? what.length : colon + 2;
    } else if (what.startsWith("connection")) {
      stage = "connect";
      const colon = what.indexOf(": ");
      reasonFrom = colon < 0 ? what.length : colon + 2;
    } else if (what.startsWith("EHLO") || what.startsWith("HELO")) {
      stage = "helo";
      const colon = what.indexOf(": ");
      reasonFrom = colon < 0 ? what.length : colon + 2;
    } else if (what.startsWith("after DATA") || what.startsWith("by local_scan()") || what.startsWith("by non-SMTP ACL") || what.startsWith("after ")) {
      stage = "data";
      const colon = what.indexOf(": ");
      reasonFrom = colon < 0 ? what.length : colon + 2;
    } else if (what.startsWith("\"") && s.startsWith("SMTP protocol synchronization error", start)) {
      return false;
    } else {
      return false;
    }
    let reason = what.slice(reasonFrom).trim();
    if (reason.startsWith("\"") && reason.endsWith("\"")) reason = reason.slice(1, -1);
    const m = id !== null ? this.messages.peek(id) : undefined;
    emit({
      type: "rejected",
      ts_unix_ms: p.ts_unix_ms,
      source: "exim",
      raw,
      queue_id: id,
      stage,
      reason_class: classifyRejectReason(reason),
      reason,
      smtp_code: null,
      dsn: null,
      client_ip: h?.ip ?? m?.origin.client_ip ?? null,
      client_host: h?.host ?? m?.origin.client_host ?? null,
      sender,
      recipient,
      helo: h?.helo ?? null,
      sasl_user: m?.origin.sasl_user ?? null,
    });
    return true;
  }
}
