// Sums and percentiles of the fleet benchmark's worker reports.
import type { WorkerReport } from "./worker-protocol.js";

/** The q-quantile (0..1) of `values` (nearest rank); 0 for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Adds the reports of several workers. */
export function sumReports(reports: readonly WorkerReport[]): Omit<WorkerReport, "type"> {
  const total: Omit<WorkerReport, "type"> = {
    sent: 0,
    acked: 0,
    duplicateAcks: 0,
    streamErrors: 0,
    welcomes: 0,
    unacked: 0,
    welcomed: 0,
    ackLatencyMs: [],
    welcomeLatencyMs: [],
    errors: [],
    rows: { socket_snapshots: 0, queue_snapshots: 0, mail_windows: 0, auth_windows: 0, log_read_stats: 0 },
    planted: [],
    lastWelcome: [],
  };
  for (const r of reports) {
    total.sent += r.sent;
    total.acked += r.acked;
    total.duplicateAcks += r.duplicateAcks;
    total.streamErrors += r.streamErrors;
    total.welcomes += r.welcomes;
    total.unacked += r.unacked;
    total.welcomed += r.welcomed;
    for (const v of r.ackLatencyMs) total.ackLatencyMs.push(v);
    for (const v of r.welcomeLatencyMs) total.welcomeLatencyMs.push(v);
    for (const [detail, n] of r.errors) {
      const known = total.errors.find(([d]) => d === detail);
      if (known) known[1] += n;
      else total.errors.push([detail, n]);
    }
    for (const key of Object.keys(total.rows) as (keyof typeof total.rows)[]) total.rows[key] += r.rows[key];
    total.planted.push(...r.planted);
    total.lastWelcome.push(...r.lastWelcome);
  }
  return total;
}
