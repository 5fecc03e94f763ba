import type { Logger } from "../../shared/log/logger.js";
import type { SocketRecord } from "../../shared/types/socket-record.js";
import type { SocketAccumulator } from "../collect/sockets/accumulate-sockets.js";
import type { ProbeMetrics } from "../metrics/probe-metrics.js";

/**
 * Longest time between two reads of the socket table when no connection was
 * opened: long enough that an idle host costs nearly nothing (one table walk
 * is 2-3 ms of kernel CPU), short enough that closed sockets and state
 * changes show in every 10 s snapshot with their last-seen times within 2 s.
 */
export const SOCKET_TABLE_MAX_GAP_MS = 2_000;

/**
 * Samples the socket table into the accumulator (the collect stage of the
 * socket path). Every intervalMs it asks `opened` (when given) whether a TCP
 * connection was opened since the last tick, and reads the table only then,
 * or when maxGapMs (default SOCKET_TABLE_MAX_GAP_MS) passed without a read.
 * Returns the function that stops it.
 */
export function sampleSockets(o: {
  read: () => Promise<SocketRecord[]>;
  into: SocketAccumulator;
  intervalMs: number;
  /** A cheap check that a connection was opened (TcpOpenWatch); without it every tick reads the table. */
  opened?: () => boolean;
  /**
   * Longest time between two reads when nothing was opened. The probe passes
   * at most its snapshot interval: the batch pipeline extends an interval that
   * got no sample, so a longer gap would stretch every batch to this gap.
   */
  maxGapMs?: number;
  metrics: ProbeMetrics;
  logger: Logger;
}): () => void {
  let sampling = false;
  let lastReadMs = -Infinity;
  const maxGapMs = o.maxGapMs ?? SOCKET_TABLE_MAX_GAP_MS;
  const timer = setInterval(() => {
    if (sampling) return; // a slow sample (loaded host) skips a tick rather than piling up
    const now = performance.now();
    // The check runs on every tick so that its baseline stays current even when the gap forces a read.
    const opened = o.opened?.() ?? true;
    if (!opened && now - lastReadMs < maxGapMs) return;
    lastReadMs = now;
    sampling = true;
    o.read()
      .then((records) => {
        o.into.add(records, Date.now());
        o.metrics.samples.inc({ result: "ok" });
      })
      .catch((error: unknown) => {
        o.metrics.samples.inc({ result: "failed" });
        o.logger.warn({ err: (error as Error).message }, "socket sample failed");
      })
      .finally(() => {
        sampling = false;
      });
  }, o.intervalMs);
  return () => clearInterval(timer);
}
