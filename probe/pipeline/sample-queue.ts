import type { Logger } from "../../shared/log/logger.js";
import { isKnownMtaKind } from "../../shared/mta/mta-kinds.js";
import { HostFiles } from "../collect/mta/host-files.js";
import type { CommandRunner } from "../collect/run-command.js";
import type { MtaDetection } from "../collect/mta/mta-detection.js";
import { countQueue } from "../collect/queue/count-queue.js";
import { readQueueSnapshot } from "../collect/queue/read-queue-snapshot.js";
import type { QueueSnapshot } from "../collect/queue/queue-snapshot.js";

/** Queue snapshots taken on a timer, held until the next batch takes them. */
export interface QueueSampler {
  /** The snapshots taken since the previous call. */
  take(): QueueSnapshot[];
  stop(): void;
}

/** Share of the last listed total the cheap count must move by before a listing is taken early. */
export const QUEUE_RELIST_CHANGE = 0.1;

/** True when a count differs enough from the last listed total to list the queue again now (any change of a small queue, 10 % of a large one). */
export function queueMoved(lastListed: number, count: number): boolean {
  return Math.abs(count - lastListed) >= Math.max(1, lastListed * QUEUE_RELIST_CHANGE);
}

/** Options of {@link sampleQueue}. */
export interface SampleQueueOptions {
  mta: MtaDetection;
  run: CommandRunner;
  /** Full listing every intervalMs (0, or no known MTA: never). */
  intervalMs: number;
  /** Cheap count of the spool directory every checkIntervalMs, listing early when it moved (0: never; MTAs without a count: never). */
  checkIntervalMs: number;
  logger: Logger;
  /** Directory standing for the host's "/" (tests). */
  fsRoot?: string;
}

/**
 * Snapshots the MTA's queue every intervalMs with its listing command; in
 * between, counts the queue files every checkIntervalMs and takes the
 * listing at once when the count moved (queueMoved), so a surge reaches the
 * collector within seconds while a steady queue is listed only on the
 * regular interval. The first listing is taken at start. One listing at a time.
 */
export function sampleQueue(o: SampleQueueOptions): QueueSampler {
  const taken: QueueSnapshot[] = [];
  if (o.intervalMs <= 0 || !isKnownMtaKind(o.mta.kind)) return { take: () => taken.splice(0), stop: () => undefined };
  const files = new HostFiles(o.fsRoot ?? "/");
  let listing = false;
  let lastListed: number | undefined;
  let counting = o.checkIntervalMs > 0;
  const list = (): void => {
    if (listing) return;
    listing = true;
    readQueueSnapshot(o.mta, o.run, { fsRoot: o.fsRoot })
      .then((snapshot) => {
        if (!snapshot) return;
        taken.push(snapshot);
        lastListed = snapshot.total;
      })
      .catch((error: unknown) => o.logger.warn({ err: (error as Error).message }, "queue snapshot failed"))
      .finally(() => {
        listing = false;
      });
  };
  const check = (): void => {
    if (!counting || listing || lastListed === undefined) return;
    const before = lastListed;
    countQueue(o.mta, files)
      .then((count) => {
        if (count === null) counting = false;
        else if (queueMoved(before, count)) list();
      })
      .catch((error: unknown) => {
        // Without read access to the spool only the regular listing remains; say so once.
        counting = false;
        o.logger.warn({ err: (error as Error).message }, "cannot count the queue directory: the queue is listed every mta.queueIntervalMs only");
      });
  };
  // The first listing at start: the counts compare against it.
  list();
  const listTimer = setInterval(list, o.intervalMs);
  const checkTimer = counting ? setInterval(check, o.checkIntervalMs) : undefined;
  return {
    take: () => taken.splice(0),
    stop: () => {
      clearInterval(listTimer);
      clearInterval(checkTimer);
    },
  };
}
