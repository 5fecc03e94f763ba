import type { KnownMtaKind } from "../../../shared/mta/mta-kinds.js";
import type { QueuedMessage, QueueSnapshot } from "./queue-snapshot.js";
import { TopCounter } from "./top-counter.js";

/** Entries in topSenders and topRecipientDomains. */
export const QUEUE_TOP_N = 10;

/** Key of the null sender in topSenders. */
export const NULL_SENDER_KEY = "<>";

// How each MTA lists the null sender: Postfix's showq prints MAILER-DAEMON,
// Exim and Sendmail "<>", qmail "<>" or "#@[]" for a double bounce.
const NULL_SENDERS = new Set(["", "<>", "mailer-daemon", "#@[]"]);

/** The topSenders key of a listed sender: lower case, without angle brackets, "<>" for the null sender. */
export function senderKey(sender: string): string {
  const bare = sender.trim().replace(/^<(.*)>$/, "$1").toLowerCase();
  return NULL_SENDERS.has(bare) || NULL_SENDERS.has(sender.trim().toLowerCase()) ? NULL_SENDER_KEY : bare;
}

/** Domain of a recipient address, lower case, or "(local)" for an unqualified local part. */
export function recipientDomain(address: string): string {
  const bare = address.trim().replace(/^<(.*)>$/, "$1");
  const at = bare.lastIndexOf("@");
  if (at < 0 || at === bare.length - 1) return "(local)";
  return bare.slice(at + 1).replace(/\.$/, "").toLowerCase();
}

/**
 * Accumulates messages one at a time into a QueueSnapshot, so a listing of
 * any size is summarised while it streams, in memory bounded by TopCounter.
 */
export class QueueSummarizer {
  private total = 0;
  private frozenOrHeld = 0;
  private nullSender = 0;
  private recipients = 0;
  private oldestAgeSeconds: number | null = null;
  private readonly byQueue: Record<string, number>;
  private readonly senders = new TopCounter();
  private readonly domains = new TopCounter();
  /** Lines the parser could not understand; parsers add to it. */
  skippedLines = 0;

  /**
   * @param mta MTA of the queue.
   * @param source command the listing came from.
   * @param observedAtUnixMs when the listing was taken; ages are computed against it.
   * @param queues byQueue keys always present (0 when empty), so every snapshot of an MTA has the same shape.
   */
  constructor(
    private readonly mta: KnownMtaKind,
    private readonly source: string,
    private readonly observedAtUnixMs: number,
    queues: readonly string[] = [],
  ) {
    // No prototype, so that a queue named "constructor" or "__proto__" (postqueue -j prints the
    // queue file's name) counts like any other instead of reading Object.prototype's members.
    this.byQueue = Object.assign(Object.create(null) as Record<string, number>, Object.fromEntries(queues.map((queue) => [queue, 0])));
  }

  /** Counts one message. */
  add(message: QueuedMessage): void {
    this.total += 1;
    this.byQueue[message.queue] = (this.byQueue[message.queue] ?? 0) + 1;
    if (message.frozenOrHeld) this.frozenOrHeld += 1;
    const sender = senderKey(message.sender);
    if (sender === NULL_SENDER_KEY) this.nullSender += 1;
    this.senders.add(sender);
    for (const recipient of message.recipients) this.domains.add(recipientDomain(recipient));
    this.recipients += message.recipients.length;
    const age =
      message.ageSeconds ??
      (message.arrivalUnixMs === undefined ? undefined : Math.max(0, Math.floor((this.observedAtUnixMs - message.arrivalUnixMs) / 1000)));
    if (age !== undefined && (this.oldestAgeSeconds === null || age > this.oldestAgeSeconds)) this.oldestAgeSeconds = age;
  }

  /** Counts a message the listing shows but cannot describe (e.g. Exim's "spool format error"): in total and its queue only. */
  addUndescribed(queue: string): void {
    this.total += 1;
    this.byQueue[queue] = (this.byQueue[queue] ?? 0) + 1;
  }

  /** The snapshot of everything added. */
  finish(): QueueSnapshot {
    return {
      mta: this.mta,
      source: this.source,
      complete: true,
      total: this.total,
      byQueue: { ...this.byQueue },
      frozenOrHeld: this.frozenOrHeld,
      oldestAgeSeconds: this.oldestAgeSeconds,
      nullSender: this.nullSender,
      recipients: this.recipients,
      topSenders: this.senders.top(QUEUE_TOP_N),
      topRecipientDomains: this.domains.top(QUEUE_TOP_N),
      skippedLines: this.skippedLines,
      observedAtUnixMs: this.observedAtUnixMs,
    };
  }
}

/** A snapshot that knows only counts (listing unavailable): complete false, no ages, senders or domains. */
export function countOnlySnapshot(
  mta: KnownMtaKind,
  source: string,
  observedAtUnixMs: number,
  total: number,
  byQueue: Record<string, number> = {},
  frozenOrHeld = 0,
): QueueSnapshot {
  return {
    ...new QueueSummarizer(mta, source, observedAtUnixMs).finish(),
    complete: false,
    total,
    byQueue: { ...byQueue },
    frozenOrHeld,
  };
}
