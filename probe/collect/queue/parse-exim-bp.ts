import type { QueuedMessage, QueueSnapshot } from "./queue-snapshot.js";
import { QueueListingParser, parseWholeListing } from "./queue-listing-parser.js";
import { QueueSummarizer } from "./summarize-queue.js";

/** Exim's byQueue keys: messages delivery is attempted for, and frozen ones. */
export const EXIM_QUEUES = ["queued", "frozen"] as const;

/** Source label of snapshots parsed from `exim -bp`. */
export const EXIM_BP_SOURCE = "exim -bp";

// Message ids: 1xXaqX-0004QJ-38 (up to 4.96), 1xXaqX-00000004QJ-0038 (4.97+ longer ids).
const MESSAGE_ID = "[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}";
// " 5h   290 1xXaqX-0004QJ-38 <alice@example> *** frozen ***": age (m ≤ 90 min, then h ≤ 72 h, then d;
// rounded), size (290, 1.2K, 22M, or "sss" in Exim's test suite), id, sender.
const ENTRY = new RegExp(`^\\s*(\\d+)([mhd])\\s+(\\S+)\\s+(${MESSAGE_ID})\\s+<(.*?)>(\\s+\\*\\*\\* frozen \\*\\*\\*)?\\s*$`);
// A message whose header file is unreadable: its id alone, then "*** spool format error: size=… ***" or "*** spool read error: …".
const ID_ONLY = new RegExp(`^\\s+(${MESSAGE_ID})\\s*$`);
const SPOOL_ERROR = /^\s+\*\*\* spool (format|read) error/;
const AGE_UNIT_SECONDS: Readonly<Record<string, number>> = { m: 60, h: 3600, d: 86400 };

/** Consumes `exim -bp` output line by line. */
export class EximBpParser extends QueueListingParser {
  private undescribed = false;

  /** @param observedAtUnixMs when the listing was taken. */
  constructor(observedAtUnixMs: number) {
    super(new QueueSummarizer("exim", EXIM_BP_SOURCE, observedAtUnixMs, EXIM_QUEUES));
  }

  /** Feeds one output line. */
  line(text: string): void {
    const line = text.trimEnd();
    if (line === "") return this.flush();
    const entry = ENTRY.exec(line);
    if (entry !== null) {
      this.flush();
      const [, age = "0", unit = "m", , , sender = "", frozen] = entry;
      const isFrozen = frozen !== undefined;
      this.current = {
        queue: isFrozen ? "frozen" : "queued",
        sender,
        recipients: [],
        ageSeconds: Number(age) * (AGE_UNIT_SECONDS[unit] ?? 60),
        frozenOrHeld: isFrozen,
      };
      return;
    }
    if (ID_ONLY.test(line)) {
      this.flush();
      this.undescribed = true;
      return;
    }
    if (SPOOL_ERROR.test(line)) {
      this.summary.skippedLines += 1;
      return;
    }
    // Recipients: "          addr" pending, "        D addr" delivered, "       +D addr" delivered child address (-bpa).
    const recipient = /^\s+(\+?D\s+)?(\S.*)$/.exec(line);
    if (this.current !== null && recipient !== null) {
      if (recipient[1] === undefined) this.current.recipients.push(recipient[2] ?? "");
      return;
    }
    this.summary.skippedLines += 1;
  }

  protected override flush(): void {
    super.flush();
    // Exim counts these in -bpc too; whether they are frozen cannot be known.
    if (this.undescribed) this.summary.addUndescribed("queued");
    this.undescribed = false;
  }
}

/** Summarises a whole `exim -bp` output. */
export function parseEximBp(text: string, observedAtUnixMs: number): QueueSnapshot {
  return parseWholeListing(new EximBpParser(observedAtUnixMs), text);
}

/** Message count from `exim -bpc` output (a single number); null when it is not one. */
export function parseEximBpc(text: string): number | null {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}
