import type { MailEvent } from "../../../shared/mta/events/mail-event.js";
import { BoundedLruMap } from "../../../shared/mta/state/bounded-lru-map.js";
import type { ScriptSubmission } from "./script-submission.js";

/** A submission is looked for this long before the MTA's line (a slow pickup, a loaded host). */
const BEFORE_MS = 30_000;
/** ... and this long after it: syslog times are truncated to the second, PHP's too. */
const AFTER_MS = 1_500;
/** Submissions kept waiting for their MTA line at most (a burst of tens per second fits). */
const MAX_PENDING = 4096;
/** Queue ids remembered with their script, so deliveries count for it too. */
const MAX_ATTRIBUTED = 20_000;

/** Counters of the join, for metrics and tests. */
export interface AttributionStats {
  /** Local submissions named by a maildrop ancestry. */
  byMaildrop: number;
  /** Local submissions named by PHP's mail.log. */
  byPhpLog: number;
  /** Local submissions no submission matched. */
  unmatched: number;
}

interface Pending {
  s: ScriptSubmission;
  used: boolean;
}

/**
 * Joins local submissions seen at the moment they happened (maildrop
 * ancestries, PHP mail.log lines) to the MTA's messages, and names the
 * script of each: a received event of a local submission (Postfix pickup
 * `uid=`) takes the script of the earliest unused submission of the same uid
 * (and the same sender when the program gave one with -f) within BEFORE_MS
 * before to AFTER_MS after its line; a PHP mail.log line joins by the
 * Message-ID the script set, else by time and recipient count (`nrcpt=`).
 * When the maildrop ancestry ran PHP (php-fpm names no file), PHP's line names
 * the script; a non-PHP ancestry leaves PHP's lines to their own messages.
 * Later deliveries of the message carry the same script.
 */
export class ScriptAttributor {
  private readonly pending: Pending[] = [];
  private readonly byQueueId = new BoundedLruMap<string, string>(MAX_ATTRIBUTED);
  readonly stats: AttributionStats = { byMaildrop: 0, byPhpLog: 0, unmatched: 0 };

  /** Records a submission; call before the MTA lines that follow it are parsed. */
  add(s: ScriptSubmission): void {
    this.pending.push({ s, used: false });
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
  }

  /** The event with its script filled in when a submission names it; otherwise the event itself. */
  attribute(event: MailEvent): MailEvent {
    if (event.type === "received") {
      // PHP's X-PHP-Originating-Script header (logged by a header_checks WARN) is "uid:file.php", no folder: a full path replaces it.
      if ((event.script !== null && event.script.startsWith("/")) || (event.local_uid === null && event.local_user === null)) return event;
      const script = this.join(event.ts_unix_ms, event.local_uid, event.sender, event.message_id, event.nrcpt);
      if (script === null) {
        this.stats.unmatched++;
        return event;
      }
      this.byQueueId.set(event.queue_id, script);
      return { ...event, script };
    }
    if (event.type !== "delivered" && event.type !== "deferred" && event.type !== "bounced") return event;
    const o = event.origin;
    if (o === null || o.script?.startsWith("/")) return event;
    const script = this.byQueueId.get(event.queue_id);
    return script === undefined ? event : { ...event, origin: { ...o, script } };
  }

  private join(ts: number, uid: number | null, sender: string | null, messageId: string | null, nrcpt: number | null): string | null {
    this.expire(ts);
    const inTime = (p: Pending): boolean => !p.used && p.s.tsUnixMs >= ts - BEFORE_MS && p.s.tsUnixMs <= ts + AFTER_MS;
    const drop = this.pending.find(
      (p) => p.s.source === "maildrop" && inTime(p) && (uid === null || p.s.uid === null || p.s.uid === uid) && senderMatches(p.s.sender, sender),
    );
    if (drop) drop.used = true;
    const dropIsPhp = drop !== undefined && drop.s.chain.some((c) => /^(php|lsphp)/.test(c.comm));
    // A PHP ancestry that names its file (php <script>) takes only a PHP line of that script's tree (the mail()
    // call may sit in an included file): another script's line close in time is that script's message.
    const site = drop !== undefined && dropIsPhp && drop.s.script !== null ? siteOf(drop.s) : null;
    const ofSite = (p: Pending): boolean => site === null || p.s.script === drop?.s.script || site.some((dir) => (p.s.script ?? "").startsWith(dir));
    const php =
      (messageId === null ? undefined : this.pending.find((p) => p.s.source === "php_mail_log" && !p.used && p.s.messageId === messageId && ofSite(p))) ??
      this.pending.find(
        (p) => p.s.source === "php_mail_log" && p.s.messageId === null && inTime(p) && ofSite(p) && (nrcpt === null || p.s.recipients.length === 0 || p.s.recipients.length === nrcpt),
      );
    if (php && (drop === undefined || dropIsPhp || drop.s.script === null)) {
      php.used = true;
      this.stats.byPhpLog++;
      return php.s.script;
    }
    if (drop?.s.script) {
      this.stats.byMaildrop++;
      return drop.s.script;
    }
    return null;
  }

  /** Forgets submissions too old to match anything from now on. */
  private expire(ts: number): void {
    let n = 0;
    while (n < this.pending.length && (this.pending[n]!.used || this.pending[n]!.s.tsUnixMs < ts - BEFORE_MS)) n++;
    if (n > 0) this.pending.splice(0, n);
  }
}

/** Folders a PHP line of this submission may name: the script's own and the interpreter's working directory (not /). */
function siteOf(s: ScriptSubmission): string[] {
  const dirs = [`${s.script!.slice(0, s.script!.lastIndexOf("/") + 1)}`];
  const cwd = s.chain.find((c) => /^(php|lsphp)/.test(c.comm))?.cwd;
  if (cwd && cwd !== "/") dirs.push(cwd.endsWith("/") ? cwd : `${cwd}/`);
  return dirs;
}

/** A sender the program chose (-f) must be the logged one (a bare name is qualified by the MTA: its local part then). */
function senderMatches(asked: string | null, logged: string | null): boolean {
  if (asked === null || logged === null) return true;
  const a = asked.toLowerCase();
  const l = logged.toLowerCase();
  return a.includes("@") ? a === l : l === a || l.startsWith(`${a}@`);
}
