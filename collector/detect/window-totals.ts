import { sqlLiteral } from "../store/clickhouse/sql-literal.js";
import type { DetectContext } from "./detect-context.js";
import type { EvidenceRow } from "../vocabulary/finding.js";
import { dateTimeAt, inList, num, strings } from "../store/clickhouse/sql.js";

/** One identity's mail_windows summed over a rule's lookback. */
export interface WindowTotals {
  hostId: string;
  kind: string;
  identity: string;
  received: number;
  delivered: number;
  deferred: number;
  bounced: number;
  rejected: number;
  relayDenied: number;
  authFailures: number;
  authSuccesses: number;
  nullSender: number;
  /** Messages relayed for this client (client_ip rows; migration 7): unauthenticated, unpermitted, to an unserved domain. */
  relayed: number;
  /** Their recipients. */
  relayedRecipients: number;
  /** Sum of per-minute distinct recipient domains (exact within a minute, an upper bound across minutes). */
  recipientDomains: number;
  /** Sum of per-minute distinct recipients (same caveat). */
  recipients: number;
  /** Largest per-minute distinct client IP count. */
  maxClientIps: number;
  /** Windows (minutes) with activity. */
  windows: number;
  /** First window start and last window end, ms. */
  firstMs: number;
  lastMs: number;
  queueIds: string[];
  messageIds: string[];
  lines: string[];
}

/** Lower bounds of which at least one must hold for an identity to be returned (numbers only: they go into SQL). */
export interface TotalsFilter {
  received?: number;
  recipientDomains?: number;
  failedDeliveries?: number;
  deliveries?: number;
  /** Relayed messages (mail_windows.relayed). */
  relayed?: number;
  /** Conditions that must all hold as well. */
  all?: {
    /** At least this many received messages. */
    received?: number;
    /** No authenticated message (auth success) in the lookback. */
    noAuthSuccesses?: boolean;
    /** One of the sampled lines matches this RE2 pattern (a coarse prefilter; a constant, bound as a literal). */
    lineMatches?: string;
  };
}

/**
 * Sums mail_windows per (host, kind, identity) over [fromMs, now], keeping
 * identities that pass `filter` (any bound), with up to 20 sample lines,
 * queue ids and Message-IDs each.
 */
export async function windowTotals(
  ctx: DetectContext,
  opts: { kinds: readonly string[]; fromMs: number; filter: TotalsFilter; identities?: readonly string[]; hosts?: readonly string[] },
): Promise<WindowTotals[]> {
  const bounds: string[] = [];
  const f = opts.filter;
  if (f.received !== undefined) bounds.push(`t_received >= ${Math.floor(f.received)}`);
  if (f.recipientDomains !== undefined) bounds.push(`t_recipient_domains >= ${Math.floor(f.recipientDomains)}`);
  if (f.failedDeliveries !== undefined) bounds.push(`t_deferred + t_bounced >= ${Math.floor(f.failedDeliveries)}`);
  if (f.deliveries !== undefined) bounds.push(`t_delivered + t_deferred + t_bounced >= ${Math.floor(f.deliveries)}`);
  if (f.relayed !== undefined) bounds.push(`t_relayed >= ${Math.floor(f.relayed)}`);
  if (bounds.length === 0) throw new RangeError("windowTotals needs at least one filter bound");
  const required = [
    ...(f.all?.received !== undefined ? [`t_received >= ${Math.floor(f.all.received)}`] : []),
    ...(f.all?.noAuthSuccesses ? ["t_auth_successes = 0"] : []),
    ...(f.all?.lineMatches !== undefined ? [`arrayExists(line -> match(line, ${sqlLiteral(f.all.lineMatches)}), t_lines)`] : []),
  ];
  const where = [
    `identity_kind IN ${inList(opts.kinds)}`,
    `window_start >= ${dateTimeAt(opts.fromMs)}`,
    `window_start <= ${dateTimeAt(ctx.nowMs)}`,
    ...(opts.identities ? [`identity IN ${inList(opts.identities)}`] : []),
    ...(opts.hosts ? [`host_id IN ${inList(opts.hosts)}`] : []),
  ];
  const rows = await ctx.store.query<Record<string, unknown>>(
    `SELECT host_id, identity_kind, identity,
  sum(received) AS t_received, sum(delivered) AS t_delivered, sum(deferred) AS t_deferred, sum(bounced) AS t_bounced,
  sum(rejected) AS t_rejected, sum(relay_denied) AS t_relay_denied, sum(auth_failures) AS t_auth_failures,
  sum(auth_successes) AS t_auth_successes, sum(null_sender) AS t_null_sender,
  sum(relayed) AS t_relayed, sum(relayed_recipients) AS t_relayed_recipients,
  sum(distinct_recipient_domains) AS t_recipient_domains, sum(distinct_recipients) AS t_recipients,
  max(distinct_client_ips) AS t_max_client_ips, count() AS t_windows,
  min(window_start_unix_ms) AS first_ms, max(window_start_unix_ms + window_seconds * 1000) AS last_ms,
  arraySlice(groupUniqArrayArray(sample_queue_ids), 1, 20) AS t_queue_ids,
  arraySlice(groupUniqArrayArray(sample_message_ids), 1, 20) AS t_message_ids,
  arraySlice(groupUniqArrayArray(sample_lines), 1, 20) AS t_lines
FROM ${ctx.table("mail_windows")}
WHERE ${where.join("\n  AND ")}
GROUP BY host_id, identity_kind, identity
HAVING (${bounds.join(" OR ")})${required.map((r) => ` AND ${r}`).join("")}`,
  );
  return rows.map((r) => ({
    hostId: String(r.host_id),
    kind: String(r.identity_kind),
    identity: String(r.identity),
    received: num(r.t_received),
    delivered: num(r.t_delivered),
    deferred: num(r.t_deferred),
    bounced: num(r.t_bounced),
    rejected: num(r.t_rejected),
    relayDenied: num(r.t_relay_denied),
    authFailures: num(r.t_auth_failures),
    authSuccesses: num(r.t_auth_successes),
    nullSender: num(r.t_null_sender),
    relayed: num(r.t_relayed),
    relayedRecipients: num(r.t_relayed_recipients),
    recipientDomains: num(r.t_recipient_domains),
    recipients: num(r.t_recipients),
    maxClientIps: num(r.t_max_client_ips),
    windows: num(r.t_windows),
    firstMs: num(r.first_ms),
    lastMs: num(r.last_ms),
    queueIds: strings(r.t_queue_ids),
    messageIds: strings(r.t_message_ids),
    lines: strings(r.t_lines),
  }));
}

/** The per-minute mail_windows rows of one identity since `fromMs` (newest first, at most `limit`), as evidence. */
export async function windowEvidenceRows(
  ctx: DetectContext,
  opts: { hostId: string; kind: string; identity: string; fromMs: number; limit?: number },
): Promise<EvidenceRow[]> {
  const rows = await ctx.store.query<Record<string, unknown>>(
    `SELECT host_id, window_start_unix_ms, identity_kind, identity, received, delivered, deferred, bounced, rejected, relay_denied,
  auth_failures, auth_successes, null_sender, distinct_recipients, distinct_recipient_domains, distinct_client_ips,
  distinct_failed_client_ips
FROM ${ctx.table("mail_windows")}
WHERE host_id = ${sqlLiteral(opts.hostId)} AND identity_kind = ${sqlLiteral(opts.kind)} AND identity = ${sqlLiteral(opts.identity)}
  AND window_start >= ${dateTimeAt(opts.fromMs)} AND window_start <= ${dateTimeAt(ctx.nowMs)}
ORDER BY window_start_unix_ms DESC
LIMIT ${Math.floor(opts.limit ?? 10)}`,
  );
  return rows.map((r) => {
    const { host_id, window_start_unix_ms, ...values } = r;
    const counts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) counts[k] = k === "identity_kind" || k === "identity" ? v : num(v);
    return { table: "mail_windows", host_id: String(host_id), at_unix_ms: num(window_start_unix_ms), values: counts };
  });
}
