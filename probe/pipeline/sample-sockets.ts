import type { Logger } from "../../shared/log/logger.js";
import type { SocketRecord } from "../../shared/types/socket-record.js";
import type { SocketAccumulator } from "../collect/sockets/accumulate-sockets.js";
import type { ProbeMetrics } from "../metrics/probe-metrics.js";

/**
 * Samples the socket table every intervalMs into the accumulator (the
 * collect stage of the socket path). Returns the function that stops it.
 */
export function sampleSockets(o: {
  read: () => Promise<SocketRecord[]>;
  into: SocketAccumulator;
  intervalMs: number;
  metrics: ProbeMetrics;
  logger: Logger;
}): () => void {
  let sampling = false;
  const timer = setInterval(() => {
    if (sampling) return; // a slow sample (loaded host) skips a tick rather than piling up
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
