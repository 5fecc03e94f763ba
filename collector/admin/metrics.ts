import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The collector's Prometheus metrics, on one registry served at /metrics. */
export class CollectorMetrics {
  /** Registry holding every metric below plus Node's process metrics. */
  readonly registry = new Registry();
  /** Probe streams currently open. */
  readonly streamsActive = new Gauge({ name: "spamtrace_collector_streams_active", help: "Probe streams currently open", registers: [this.registry] });
  /** Batches received, by outcome (stored, duplicate, rejected, failed). */
  readonly batches = new Counter({
    name: "spamtrace_collector_batches_total",
    help: "Batches received from probes, by outcome",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  /** Rows written to ClickHouse, by table. */
  readonly rowsWritten = new Counter({
    name: "spamtrace_collector_rows_written_total",
    help: "Rows written to ClickHouse, by table",
    labelNames: ["table"] as const,
    registers: [this.registry],
  });
  /** Time streams waited before their next message because they were over their row budget (limits.streamRowsPerSecond). */
  readonly pacedSeconds = new Counter({
    name: "spamtrace_collector_stream_paced_seconds_total",
    help: "Seconds a probe stream was held back because it sent more rows than limits.streamRowsPerSecond",
    labelNames: ["host_id"] as const,
    registers: [this.registry],
  });
  /** Streams ended with an error, by gRPC error code. */
  readonly streamErrors = new Counter({
    name: "spamtrace_collector_stream_errors_total",
    help: "Probe streams ended with an error, by code",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  /** Batches each probe reported evicted from its full spool in its current epoch (data lost at the probe). */
  readonly evictedBatches = new Gauge({
    name: "spamtrace_collector_probe_evicted_batches",
    help: "Batches a probe evicted from its full spool in its current spool epoch, as it reported",
    labelNames: ["host_id"] as const,
    registers: [this.registry],
  });
  /** Time to store one batch, seconds. */
  readonly storeSeconds = new Histogram({
    name: "spamtrace_collector_store_batch_seconds",
    help: "Time to store one batch in ClickHouse, seconds",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "spamtrace_collector_" });
  }
}
