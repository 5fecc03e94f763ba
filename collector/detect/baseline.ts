import type { DetectContext } from "./detect-context.js";
import { sqlLiteral } from "../store/clickhouse/sql-literal.js";
import { queryHostPairsInChunks } from "../store/clickhouse/query-in-chunks.js";
import { dateTimeAt, num } from "../store/clickhouse/sql.js";

/** An identity's (or a host's) usual level: p95 of lookback-sized buckets in which it was active. */
export interface Baseline {
  /** 95th percentile of the metric per bucket, over active buckets. */
  p95: number;
  /** Active buckets in the history (0 = no history: a new account, script or host). */
  buckets: number;
}

/** Metrics of mail_windows a baseline can be computed for (a fixed list: the text goes into SQL). */
export type WindowMetric = "received" | "null_sender" | "distinct_recipient_domains";

/** Key of a (host, identity) pair in baseline maps. */
export function baselineKey(hostId: string, identity: string): string {
  return `${hostId}\u0000${identity}`;
}

/**
 * Per-(host, identity) baselines of a mail_windows metric over the
 * `baselineDays` before the lookback: the metric is summed per bucket of
 * `bucketMinutes` (the rule's lookback, so "now" and the baseline measure the
 * same thing) and the p95 is taken over the buckets where the identity was
 * active. The lookback itself is excluded so a burst does not raise its own
 * bar. Pairs without history are absent from the map.
 */
export async function windowBaselines(
  ctx: DetectContext,
  opts: { kind: string; metric: WindowMetric; bucketMinutes: number; lookbackStartMs: number; pairs: readonly { hostId: string; identity: string }[] },
): Promise<Map<string, Baseline>> {
  const out = new Map<string, Baseline>();
  if (opts.pairs.length === 0) return out;
  const fromMs = opts.lookbackStartMs - ctx.config.baselineDays * 86_400_000;
  // Chunked by host: a fleet-wide list of hosts and identities outgrows one statement.
  const rows = await queryHostPairsInChunks<Record<string, unknown>>(
    ctx.store,
    opts.pairs,
    (hosts, identities) => `SELECT host_id, identity, quantileExact(0.95)(s) AS p95, count() AS buckets
FROM (
  SELECT host_id, identity, intDiv(toUInt32(window_start), ${Math.max(60, opts.bucketMinutes * 60)}) AS b, sum(${opts.metric}) AS s
  FROM ${ctx.table("mail_windows")}
  WHERE identity_kind = ${sqlLiteral(opts.kind)}
    AND host_id IN ${hosts} AND identity IN ${identities}
    AND window_start >= ${dateTimeAt(fromMs)} AND window_start < ${dateTimeAt(opts.lookbackStartMs)}
  GROUP BY host_id, identity, b
)
GROUP BY host_id, identity`,
  );
  for (const r of rows) out.set(baselineKey(String(r.host_id), String(r.identity)), { p95: num(r.p95), buckets: num(r.buckets) });
  return out;
}

/**
 * Whether `value` is both at least `minimum` and more than `multiplier` ×
 * the baseline: the identity's own p95 when it has history, else `floor`
 * (a new account, script or host). The absolute minimum keeps a new
 * identity quiet in its first normal hour; the multiple keeps a busy one
 * quiet at its usual level. `bar` is the lowest value that fires.
 */
export function aboveBaseline(
  value: number,
  baseline: Baseline | undefined,
  opts: { multiplier: number; floor: number; minimum: number },
): { fires: boolean; bar: number; usual: number } {
  const usual = baseline !== undefined && baseline.buckets > 0 ? baseline.p95 : opts.floor;
  const multiple = opts.multiplier * usual;
  return { fires: value >= opts.minimum && value > multiple, bar: Math.max(opts.minimum, Math.floor(multiple) + 1), usual };
}
