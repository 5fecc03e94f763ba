import type { Baseline } from "./baseline.js";
import type { DetectContext } from "./detect-context.js";
import { dateTimeAt, inList, num, strings } from "../store/clickhouse/sql.js";

/** A host's newest queue snapshot. */
export interface QueueSnapshot {
  hostId: string;
  atMs: number;
  mta: string;
  total: number;
  /** Messages in the deferred queue (Postfix); 0 where the MTA has no such queue. */
  deferred: number;
  frozenOrHeld: number;
  oldestAgeSeconds: number;
  nullSender: number;
  byQueue: Record<string, number>;
  topSenders: { key: string; count: number }[];
  topRecipientDomains: { key: string; count: number }[];
}

const DEFERRED = "arraySum(arrayMap((queue_name, queue_count) -> if(queue_name = 'deferred', queue_count, 0), by_queue_names, by_queue_counts))";

/** The newest snapshot of every host that sent one since `fromMs`. */
export async function latestQueueSnapshots(ctx: DetectContext, fromMs: number): Promise<QueueSnapshot[]> {
  const rows = await ctx.store.query<Record<string, unknown>>(
    `SELECT host_id, max(observed_at_unix_ms) AS last_at,
  argMax(mta, observed_at_unix_ms) AS last_mta, argMax(total, observed_at_unix_ms) AS last_total,
  argMax(${DEFERRED}, observed_at_unix_ms) AS last_deferred,
  argMax(frozen_or_held, observed_at_unix_ms) AS last_frozen_or_held, argMax(oldest_age_seconds, observed_at_unix_ms) AS last_oldest_age_seconds,
  argMax(null_sender, observed_at_unix_ms) AS last_null_sender,
  argMax(by_queue_names, observed_at_unix_ms) AS last_by_queue_names, argMax(by_queue_counts, observed_at_unix_ms) AS last_by_queue_counts,
  argMax(top_senders, observed_at_unix_ms) AS last_top_senders, argMax(top_sender_counts, observed_at_unix_ms) AS last_top_sender_counts,
  argMax(top_recipient_domains, observed_at_unix_ms) AS last_top_recipient_domains, argMax(top_recipient_domain_counts, observed_at_unix_ms) AS last_top_recipient_domain_counts
FROM ${ctx.table("queue_snapshots")}
WHERE observed_at >= ${dateTimeAt(fromMs)} AND observed_at <= ${dateTimeAt(ctx.nowMs + 60_000)}
GROUP BY host_id`,
  );
  return rows.map((r) => {
    const pairs = (keys: unknown, counts: unknown): { key: string; count: number }[] => {
      const c = strings(counts).map(Number);
      return strings(keys).map((key, i) => ({ key, count: c[i] ?? 0 }));
    };
    return {
      hostId: String(r.host_id),
      atMs: num(r.last_at),
      mta: String(r.last_mta ?? ""),
      total: num(r.last_total),
      deferred: num(r.last_deferred),
      frozenOrHeld: num(r.last_frozen_or_held),
      oldestAgeSeconds: num(r.last_oldest_age_seconds),
      nullSender: num(r.last_null_sender),
      byQueue: Object.fromEntries(pairs(r.last_by_queue_names, r.last_by_queue_counts).map((p) => [p.key, p.count])),
      topSenders: pairs(r.last_top_senders, r.last_top_sender_counts),
      topRecipientDomains: pairs(r.last_top_recipient_domains, r.last_top_recipient_domain_counts),
    };
  });
}

/** Per-host baselines of queue snapshots in [fromMs, toMs): p95 of total, deferred and null-sender counts. */
export interface QueueBaseline {
  total: Baseline;
  deferred: Baseline;
  nullSender: Baseline;
}

/** Queue baselines of `hosts` over [fromMs, toMs); hosts without snapshots there are absent. */
export async function queueBaselines(ctx: DetectContext, hosts: readonly string[], fromMs: number, toMs: number): Promise<Map<string, QueueBaseline>> {
  const out = new Map<string, QueueBaseline>();
  if (hosts.length === 0) return out;
  const rows = await ctx.store.query<Record<string, unknown>>(
    `SELECT host_id, count() AS snapshots, quantileExact(0.95)(total) AS total_p95,
  quantileExact(0.95)(${DEFERRED}) AS deferred_p95, quantileExact(0.95)(null_sender) AS null_sender_p95
FROM ${ctx.table("queue_snapshots")}
WHERE host_id IN ${inList(hosts)} AND observed_at >= ${dateTimeAt(fromMs)} AND observed_at < ${dateTimeAt(toMs)}
GROUP BY host_id`,
  );
  for (const r of rows) {
    const buckets = num(r.snapshots);
    out.set(String(r.host_id), {
      total: { p95: num(r.total_p95), buckets },
      deferred: { p95: num(r.deferred_p95), buckets },
      nullSender: { p95: num(r.null_sender_p95), buckets },
    });
  }
  return out;
}
