import type { QueuedMessage, QueueSnapshot } from "./queue-snapshot.js";
import { resolveYearlessTime, type ListingTimeOptions } from "./resolve-listing-time.js";
import { QueueListingParser, parseWholeListing } from "./queue-listing-parser.js";
import { QueueSummarizer } from "./summarize-queue.js";

/** Source label of snapshots parsed from Sendmail's `mailq`. */
export const SENDMAIL_MAILQ_SOURCE = "mailq";

// Layout from sendmail/queue.c print_single_queue(): "%13s" queue id, one mark
// (* being delivered, X load too high, - too young, ? lost), "%8ld" data size,
// the first 16 characters of ctime() (local time, no year, no seconds), sender.
// The sender starts with \S (the line is trimEnd()ed): with ".*" there, blanks
// before a \r or U+2028 were given back one by one, each rescanning the rest.
const ENTRY =
  /^\s*([0-9A-Za-z]{6,})([*X?-]?)\s+(-?\d+)\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d):(\d\d)\s+(\S.*)$/;
// "\t\t/var/spool/mqueue (2 requests)" or "/var/spool/mqueue-client is empty".
const QUEUE_HEADER = /^\s*(\/\S*) \(\d+ requests?(, only \d+ printed)?\)$/;
const QUEUE_EMPTY = /^\s*(\/\S*) is empty$/;
// "     QUARANTINE: reason" (Sendmail ≥ 8.13 quarantined messages, the equivalent of hold).
const QUARANTINE = /^\s+QUARANTINE: /;
// Status line: "    %10.10s   (message)" — an optional body type (8BITMIME) then the last error in parentheses.
const STATUS = /^\s+(\S+\s{2,})?\(.*\)?$/;
// The status line of a message with a body type but no error is the body type alone.
const BODY_TYPES = new Set(["7BIT", "8BITMIME", "BINARYMIME"]);

/** Consumes Sendmail `mailq` / `sendmail -bp` output (both the MSP and MTA queue sections) line by line. */
export class SendmailMailqParser extends QueueListingParser {
  private queueDir = "/var/spool/mqueue";

  /** @param time when the listing was taken and in which zone its times are. */
  constructor(private readonly time: ListingTimeOptions) {
    super(new QueueSummarizer("sendmail", SENDMAIL_MAILQ_SOURCE, time.nowUnixMs));
  }

  /** Feeds one output line. */
  line(text: string): void {
    const line = text.trimEnd();
    if (line.trim() === "") return;
    const header = QUEUE_HEADER.exec(line) ?? QUEUE_EMPTY.exec(line);
    if (header !== null) {
      this.flush();
      this.queueDir = header[1] ?? this.queueDir;
      return;
    }
    if (/^(MSP|MTA) Queue status\.\.\.$/.test(line) || line.startsWith("-----Q-ID-----") || /^\s*Total requests: \d+/.test(line)) {
      this.flush();
      return;
    }
    const entry = ENTRY.exec(line);
    if (entry !== null) {
      this.flush();
      const [, , , , month = "", day = "", hour = "", minute = "", rest = ""] = entry;
      const arrival = resolveYearlessTime({ month, day: Number(day), hour: Number(hour), minute: Number(minute), second: 0 }, this.time);
      this.current = {
        queue: this.queueDir,
        // The lookbehind starts \s+ only where a blank run starts: tried inside every run, a long run was quadratic.
        sender: rest.replace(/(?<!\s)\s+\(no control file\)$/, "").trim(),
        recipients: [],
        ...(arrival === null ? {} : { arrivalUnixMs: arrival }),
        frozenOrHeld: false,
      };
      return;
    }
    if (this.current !== null && QUARANTINE.test(line)) {
      this.current.frozenOrHeld = true;
      return;
    }
    if (this.current !== null && (STATUS.test(line) || BODY_TYPES.has(line.trim()))) return;
    if (this.current !== null && /^\s/.test(line)) {
      this.current.recipients.push(line.trim());
      return;
    }
    // "u9Q36LgF014458 (job completed)": the message left while the listing was being printed.
    if (/^\s*[0-9A-Za-z]+\s+\((job completed|permission denied|.*)\)$/.test(line)) return;
    this.summary.skippedLines += 1;
  }

}

/** Summarises a whole Sendmail `mailq` output. */
export function parseSendmailMailq(text: string, time: ListingTimeOptions): QueueSnapshot {
  return parseWholeListing(new SendmailMailqParser(time), text);
}
