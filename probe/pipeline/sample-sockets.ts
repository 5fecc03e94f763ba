import type { Logger } from "../../shared/log/logger.js";
import type { SocketRecord } from "../../shared/types/socket-record.js";
import type { SocketAccumulator } from "../collect/sockets/accumulate-sockets.js";
import type { TcpChange } from "../collect/sockets/tcp-open-counter.js";
import type { ProbeMetrics } from "../metrics/probe-metrics.js";

/**
 * Longest time between two reads of the socket table when no connection was
 * opened but the TCP counters moved (one was accepted or closed): long enough
 * that a host with traffic costs little (one table walk is 2-3 ms of kernel
 * CPU), short enough that closed sockets and state changes show in every 10 s
 * snapshot with their last-seen times within 2 s.
 */
export const SOCKET_TABLE_MAX_GAP_MS = 2_000;

/**
 * Longest time between two reads when the TCP counters stood still, as a
 * share of the snapshot interval: below 1, so that every snapshot interval
 * holds a read (the batch pipeline extends one that got none). On such a host
 * only listeners and expiring TIME_WAIT sockets can change unseen, and their
 * last-seen times lag by up to this gap instead of 2 s.
 */
export const SOCKET_TABLE_IDLE_SHARE = 0.9;

/**
 * Samples the socket table into the accumulator (the collect stage of the
 * socket path). Every intervalMs it asks `check` (when given) what changed in
 * the TCP counters since the last tick, and reads the table at once when a
 * connection was opened, within maxGapMs when the counters moved, and within
 * idleGapMs when they stood still (the table then holds the same connections).
 * Returns the function that stops it.
 */
export function sampleSockets(o: {
  read: () => Promise<SocketRecord[]>;
  into: SocketAccumulator;
  intervalMs: number;
  /** A cheap check of the TCP counters (TcpOpenWatch.check); without it every tick reads the table. */
  check?: () => TcpChange;
  /**
   * Longest time between two reads when the counters moved without a new
   * connection (default SOCKET_TABLE_MAX_GAP_MS).
   */
  maxGapMs?: number;
  /**
   * Longest time between two reads when the counters stood still (default
   * maxGapMs). The probe passes less than its snapshot interval: the batch
   * pipeline extends an interval that got no sample.
   */
  idleGapMs?: number;
  metrics: ProbeMetrics;
  logger: Logger;
}): () => void {
  let sampling = false;
  let lastReadMs = -Infinity;
  /** The counters moved since the last read. */
  let moved = false;
  const maxGapMs = o.maxGapMs ?? SOCKET_TABLE_MAX_GAP_MS;
  const idleGapMs = Math.max(maxGapMs, o.idleGapMs ?? maxGapMs);
  const timer = setInterval(() => {
    if (sampling) return; // a slow sample (loaded host) skips a tick rather than piling up
    const now = performance.now();
    // The check runs on every tick so that its baseline stays current even when a gap forces a read.
    const change = o.check?.() ?? "opened";
    if (change === "moved") moved = true;
    if (change !== "opened" && now - lastReadMs < (moved ? maxGapMs : idleGapMs)) return;
    lastReadMs = now;
    moved = false;
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
