import type { QueuedMessage, QueueSnapshot } from "./queue-snapshot.js";
import { MONTHS } from "./resolve-listing-time.js";
import { QueueListingParser, parseWholeListing } from "./queue-listing-parser.js";
import { QueueSummarizer } from "./summarize-queue.js";

/** Source label of snapshots parsed from `qmail-qread`. */
export const QMAIL_QREAD_SOURCE = "qmail-qread";

// From qmail-qread.c: date822fmt() of the info file's mtime (UTC, day not
// padded) + " GMT  #" + queue inode + "  " + size + "  <" + sender + "> ",
// then " bouncing" when a bounce is being generated. Matched against the
// trimEnd()ed line: a second \s* after "(bouncing)?" made blanks followed by
// anything else backtrack quadratically.
const ENTRY = /^(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT\s+#(\d+)\s+(\d+)\s+<(.*)>\s*(bouncing)?$/;
// Recipient lines: "\tremote\taddr", "\tlocal\taddr", or with "  done" before when delivered.
const RECIPIENT = /^(\s*done)?\t(remote|local)\t(.*)$/;

/** Consumes `qmail-qread` output line by line. */
export class QmailQreadParser extends QueueListingParser {

  /** @param observedAtUnixMs when the listing was taken. */
  constructor(observedAtUnixMs: number) {
    super(new QueueSummarizer("qmail", QMAIL_QREAD_SOURCE, observedAtUnixMs, ["queued"]));
  }

  /** Feeds one output line. */
  line(text: string): void {
    if (text.trim() === "") return;
    const entry = ENTRY.exec(text.trimEnd());
    if (entry !== null) {
      this.flush();
      const [, day = "", month = "", year = "", hour = "", minute = "", second = "", , , sender = ""] = entry;
      const monthIndex = MONTHS.indexOf(month as (typeof MONTHS)[number]);
      const arrival = Date.UTC(Number(year), monthIndex, Number(day), Number(hour), Number(minute), Number(second));
      this.current = {
        queue: "queued",
        sender,
        recipients: [],
        ...(monthIndex < 0 ? {} : { arrivalUnixMs: arrival }),
        frozenOrHeld: false,
      };
      return;
    }
    const recipient = RECIPIENT.exec(text.trimEnd());
    if (recipient !== null && this.current !== null) {
      if (recipient[1] === undefined) this.current.recipients.push(recipient[3] ?? "");
      return;
    }
    // "warning: trouble with #123: …" when a queue file vanished or cannot be read.
    this.summary.skippedLines += 1;
  }

}

/** Summarises a whole `qmail-qread` output. */
export function parseQmailQread(text: string, observedAtUnixMs: number): QueueSnapshot {
  return parseWholeListing(new QmailQreadParser(observedAtUnixMs), text);
}

/** Counts from `qmail-qstat`: messages in the queue, and those not yet preprocessed (todo). */
export interface QmailQstat {
  /** "messages in queue". */
  total: number;
  /** "messages in queue but not yet preprocessed". */
  todo: number;
}

/** Parses `qmail-qstat` output; null when either line is missing. */
export function parseQmailQstat(text: string): QmailQstat | null {
  const total = /^messages in queue: (\d+)$/m.exec(text)?.[1];
  const todo = /^messages in queue but not yet preprocessed: (\d+)$/m.exec(text)?.[1];
  return total === undefined || todo === undefined ? null : { total: Number(total), todo: Number(todo) };
}
