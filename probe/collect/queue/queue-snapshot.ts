// The snapshot itself is shared/types/queue-snapshot.ts: the scan (collector) reads it from `spamtrace-probe inspect --json`.
export type { KeyCount, QueueSnapshot } from "../../../shared/types/queue-snapshot.js";

/** One queued message in the terms every MTA's listing can give. */
export interface QueuedMessage {
  /** Queue it sits in (a byQueue key). */
  queue: string;
  /** Envelope sender as listed ("", "<>", "MAILER-DAEMON" all mean the null sender). */
  sender: string;
  /** Recipients not yet delivered. */
  recipients: readonly string[];
  /** Arrival time, ms since the Unix epoch, when the listing gives one. */
  arrivalUnixMs?: number;
  /** Age in seconds, when the listing gives an age rather than a time (Exim). */
  ageSeconds?: number;
  /** True when the MTA will not try delivery (hold, frozen, quarantined). */
  frozenOrHeld: boolean;
}
