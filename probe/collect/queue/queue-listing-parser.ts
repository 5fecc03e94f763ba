import type { QueuedMessage, QueueSnapshot } from "./queue-snapshot.js";
import type { QueueSummarizer } from "./summarize-queue.js";

/** What every line-by-line queue listing parser shares: the message being read and the running summary. */
export abstract class QueueListingParser {
  /** The message whose lines are being read; null between messages. */
  protected current: (QueuedMessage & { recipients: string[] }) | null = null;

  protected constructor(protected readonly summary: QueueSummarizer) {}

  /** Consumes one line of the listing (without "\n"). */
  abstract line(text: string): void;

  /** The snapshot of all lines fed. */
  finish(): QueueSnapshot {
    this.flush();
    return this.summary.finish();
  }

  /** Ends the message being read. */
  protected flush(): void {
    if (this.current !== null) this.summary.add(this.current);
    this.current = null;
  }
}

/** Feeds a whole listing to a parser, line by line, and returns its snapshot. */
export function parseWholeListing(parser: QueueListingParser, text: string): QueueSnapshot {
  for (const line of text.split("\n")) parser.line(line);
  return parser.finish();
}
