import { POSTFIX_QUEUES } from "./parse-postqueue-json.js";
import type { QueuedMessage, QueueSnapshot } from "./queue-snapshot.js";
import { resolveYearlessTime, type ListingTimeOptions } from "./resolve-listing-time.js";
import { QueueListingParser, parseWholeListing } from "./queue-listing-parser.js";
import { QueueSummarizer } from "./summarize-queue.js";

/** Source label of snapshots parsed from `postqueue -p` / `mailq`. */
export const POSTQUEUE_TEXT_SOURCE = "postqueue -p";

// "8038B17013E!     251 Sun Nov 29 09:02:24  alice@probe-lab.example": queue id,
// status (* active, ! hold, # forced to expire), size, asctime() arrival (local
// time, no year, day space-padded), sender (MAILER-DAEMON for the null sender).
// The sender starts with \S (the line is trimEnd()ed): with ".*" there, blanks
// before a \r or U+2028 were given back one by one, each rescanning the rest.
const ENTRY =
  /^([0-9A-Za-z]+)([*!#]?)\s+(\d+)\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)\s+(\S.*)$/;
const SUMMARY = /^-- \d+ Kbytes in \d+ Requests?\.$/;

function queueOf(status: string): string {
  // The text format marks only active and hold; deferred, incoming and maildrop all print no mark.
  return status === "*" ? "active" : status === "!" ? "hold" : "deferred";
}

/** Consumes `postqueue -p` (= `mailq`) text line by line; the fallback for Postfix < 3.1 and the format of most published samples. */
export class PostqueueTextParser extends QueueListingParser {

  /** @param time when the listing was taken and in which zone its times are. */
  constructor(private readonly time: ListingTimeOptions) {
    super(new QueueSummarizer("postfix", POSTQUEUE_TEXT_SOURCE, time.nowUnixMs, POSTFIX_QUEUES));
  }

  /** Feeds one output line. */
  line(text: string): void {
    const line = text.trimEnd();
    if (line === "") return this.flush();
    if (line.startsWith("-Queue ID-") || SUMMARY.test(line) || line === "Mail queue is empty") return;
    const entry = ENTRY.exec(line);
    if (entry !== null) {
      this.flush();
      const [, , status = "", , month = "", day = "", hour = "", minute = "", second = "", sender = ""] = entry;
      const arrival = resolveYearlessTime({ month, day: Number(day), hour: Number(hour), minute: Number(minute), second: Number(second) }, this.time);
      const queue = queueOf(status);
      this.current = {
        queue,
        sender: sender.trim(),
        recipients: [],
        ...(arrival === null ? {} : { arrivalUnixMs: arrival }),
        frozenOrHeld: queue === "hold",
      };
      return;
    }
    // A delay reason "(connect to …: Connection refused)" precedes the recipients it applies to;
    // a long one starts at column 0.
    if (line.trimStart().startsWith("(")) return;
    if (this.current !== null && /^\s/.test(line)) {
      this.current.recipients.push(line.trim());
      return;
    }
    this.summary.skippedLines += 1;
  }

}

/** Summarises a whole `postqueue -p` / `mailq` output of Postfix. */
export function parsePostqueueText(text: string, time: ListingTimeOptions): QueueSnapshot {
  return parseWholeListing(new PostqueueTextParser(time), text);
}
