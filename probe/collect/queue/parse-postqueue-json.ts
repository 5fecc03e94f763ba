import type { QueueSnapshot } from "./queue-snapshot.js";
import { QueueSummarizer } from "./summarize-queue.js";

/** Postfix's queues, always present in byQueue. */
export const POSTFIX_QUEUES = ["active", "deferred", "hold", "incoming", "maildrop"] as const;

/** Source label of snapshots parsed from `postqueue -j`. */
export const POSTQUEUE_JSON_SOURCE = "postqueue -j";

/** Consumes `postqueue -j` output (Postfix ≥ 3.1: one JSON object per message per line) as it streams. */
export class PostqueueJsonParser {
  private readonly summary: QueueSummarizer;

  /** @param observedAtUnixMs when the listing was taken. */
  constructor(observedAtUnixMs: number) {
    this.summary = new QueueSummarizer("postfix", POSTQUEUE_JSON_SOURCE, observedAtUnixMs, POSTFIX_QUEUES);
  }

  /** Feeds one output line; malformed lines are counted in skippedLines. */
  line(text: string): void {
    if (text.trim() === "") return;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      this.summary.skippedLines += 1;
      return;
    }
    if (typeof record !== "object" || record === null) {
      this.summary.skippedLines += 1;
      return;
    }
    const { queue_name: queue, sender, arrival_time: arrival, recipients } = record as Record<string, unknown>;
    if (typeof queue !== "string" || typeof sender !== "string" || !Array.isArray(recipients)) {
      this.summary.skippedLines += 1;
      return;
    }
    const addresses = recipients
      .map((recipient: unknown) => (recipient as { address?: unknown } | null)?.address)
      .filter((address): address is string => typeof address === "string");
    this.summary.add({
      queue,
      sender,
      recipients: addresses,
      ...(typeof arrival === "number" ? { arrivalUnixMs: arrival * 1000 } : {}),
      frozenOrHeld: queue === "hold",
    });
  }

  /** The snapshot of all lines fed. */
  finish(): QueueSnapshot {
    return this.summary.finish();
  }
}

/** Summarises a whole `postqueue -j` output. */
export function parsePostqueueJson(text: string, observedAtUnixMs: number): QueueSnapshot {
  const parser = new PostqueueJsonParser(observedAtUnixMs);
  for (const line of text.split("\n")) parser.line(line);
  return parser.finish();
}
