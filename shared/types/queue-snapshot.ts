import type { KnownMtaKind } from "../mta/mta-kinds.js";

/** One entry of a top-N list. */
export interface KeyCount {
  /** Sender address ("<>" for bounces) or recipient domain. */
  key: string;
  /** Messages (senders) or pending recipients (domains). */
  count: number;
}

/** What the MTA's queue held at one moment, summarised for the collector. */
export interface QueueSnapshot {
  /** MTA whose queue this is. */
  mta: KnownMtaKind;
  /** Command the data came from, e.g. "postqueue -j", "exim -bp". */
  source: string;
  /** False when only counts could be read (listing failed or timed out): ages, senders and domains are then empty. */
  complete: boolean;
  /** Messages in the queue. */
  total: number;
  /**
   * Messages per queue. Postfix: active, deferred, hold, incoming, maildrop
   * (from `postqueue -p` text, deferred also holds incoming/maildrop, which
   * that format does not tell apart). Exim: queued and frozen. Sendmail: per
   * queue directory. qmail: queued, and todo (not yet preprocessed).
   */
  byQueue: Record<string, number>;
  /** Messages no delivery will be attempted for: Postfix hold, Exim frozen, Sendmail quarantined. */
  frozenOrHeld: number;
  /** Age of the oldest message in seconds (Exim: as rounded by -bp, to the minute, half hour or half day); null when empty or unknown. */
  oldestAgeSeconds: number | null;
  /** Messages with the null sender (bounces, "<>"; Postfix shows it as MAILER-DAEMON). */
  nullSender: number;
  /** Recipients still to deliver, over all messages. */
  recipients: number;
  /** Up to 10 envelope senders with the most messages, "<>" for bounces; most first, ties by key. */
  topSenders: KeyCount[];
  /** Up to 10 domains with the most pending recipients; most first, ties by key. */
  topRecipientDomains: KeyCount[];
  /** Lines of the listing that could not be understood (counted, not fatal). */
  skippedLines: number;
  /** When the queue was read, ms since the Unix epoch. */
  observedAtUnixMs: number;
}
