import type { Logger } from "../../shared/log/logger.js";
import { isKnownMtaKind } from "../../shared/mta/mta-kinds.js";
import type { CommandRunner } from "../collect/run-command.js";
import type { MtaDetection } from "../collect/mta/mta-detection.js";
import { readQueueSnapshot } from "../collect/queue/read-queue-snapshot.js";
import type { QueueSnapshot } from "../collect/queue/queue-snapshot.js";

/** Queue snapshots taken on a timer, held until the next batch takes them. */
export interface QueueSampler {
  /** The snapshots taken since the previous call. */
  take(): QueueSnapshot[];
  stop(): void;
}

/** Snapshots the MTA's queue every intervalMs (0, or no known MTA: never). */
export function sampleQueue(o: { mta: MtaDetection; run: CommandRunner; intervalMs: number; logger: Logger }): QueueSampler {
  const taken: QueueSnapshot[] = [];
  const timer =
    o.intervalMs > 0 && isKnownMtaKind(o.mta.kind)
      ? setInterval(() => {
          readQueueSnapshot(o.mta, o.run)
            .then((snapshot) => {
              if (snapshot) taken.push(snapshot);
            })
            .catch((error: unknown) => o.logger.warn({ err: (error as Error).message }, "queue snapshot failed"));
        }, o.intervalMs)
      : undefined;
  return { take: () => taken.splice(0), stop: () => clearInterval(timer) };
}
