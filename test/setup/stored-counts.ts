// What the fleet benchmark and the failover test read back from the store through the collector's
// admin endpoint (/api/sql works for both stores; the embedded engine's folder
// belongs to the collector process): stored batches, rows per batch against
// the batch's marker (doubled or short), and the planted incidents.
const DATA_TABLES = [
  ["socket_snapshots", "socket_rows"],
  ["queue_snapshots", "queue_rows"],
  ["mail_windows", "mail_window_rows"],
  ["auth_windows", "auth_window_rows"],
] as const;

/** Runs a read-only query on a collector's admin endpoint. */
export async function adminSql<T = Record<string, unknown>>(adminPort: number, token: string, query: string): Promise<T[]> {
  const response = await fetch(`http://127.0.0.1:${adminPort}/api/sql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(120_000),
  });
  const body = (await response.json()) as { rows?: T[]; error?: string };
  if (!response.ok || !body.rows) throw new Error(`/api/sql failed (${response.status}): ${body.error ?? "no rows"}: ${query.slice(0, 200)}`);
  return body.rows;
}

/** Counts of one run (one stream epoch) in the store. */
export interface StoredCounts {
  /** Distinct (host, seq) with a marker. */
  batches: number;
  /** Markers written more than once for one batch. */
  duplicateMarkers: number;
  /** Batches whose rows in some table exceed the marker's count. */
  doubled: number;
  /** Batches with rows in some table but no marker (a stream broken mid-batch, not re-sent yet). */
  orphans: number;
  /** Batches whose rows in some table fall short of the marker's count. */
  short: number;
  /** Rows per data table. */
  rows: Record<string, number>;
}

/** Reads what the store holds of epoch `epoch`. */
export async function storedCounts(sql: <T>(q: string) => Promise<T[]>, epoch: string): Promise<StoredCounts> {
  const [markers] = await sql<{ n: string; u: string }>(`SELECT count() AS n, uniqExact(host_id, batch_seq) AS u FROM ingest_batches WHERE stream_epoch = ${epoch}`);
  const counts: StoredCounts = { batches: Number(markers?.u ?? 0), duplicateMarkers: Number(markers?.n ?? 0) - Number(markers?.u ?? 0), doubled: 0, orphans: 0, short: 0, rows: {} };
  for (const [table, column] of DATA_TABLES) {
    const [r] = await sql<{ doubled: string; orphans: string; short: string; rows: string }>(
      `SELECT countIf(expected > 0 AND c > expected) AS doubled, countIf(expected = 0) AS orphans, countIf(c < expected) AS short, sum(c) AS rows FROM (
  SELECT host_id, batch_seq, count() AS c FROM ${table} WHERE stream_epoch = ${epoch} GROUP BY host_id, batch_seq
) AS d ANY LEFT JOIN (
  SELECT host_id, batch_seq, toUInt64(any(${column})) AS expected FROM ingest_batches WHERE stream_epoch = ${epoch} GROUP BY host_id, batch_seq
) AS m USING (host_id, batch_seq)`,
    );
    counts.doubled += Number(r?.doubled ?? 0);
    counts.short += Number(r?.short ?? 0);
    counts.orphans += Number(r?.orphans ?? 0);
    counts.rows[table] = Number(r?.rows ?? 0);
  }
  const [logs] = await sql<{ n: string }>(`SELECT count() AS n FROM log_read_stats WHERE stream_epoch = ${epoch}`);
  counts.rows.log_read_stats = Number(logs?.n ?? 0);
  return counts;
}

/** First detection time (ms: the first version's updated_at; opened_at is the evidence's start) of the compromised-account incident per planted host. */
export async function plantedDetections(sql: <T>(q: string) => Promise<T[]>, hostIds: readonly string[]): Promise<Map<string, number>> {
  if (hostIds.length === 0) return new Map();
  const list = hostIds.map((h) => `'${h}'`).join(", ");
  const rows = await sql<{ h: string; at: string }>(
    `SELECT scope_host AS h, min(updated_at_unix_ms) AS at FROM alerts WHERE rule = 'compromised-account' AND scope_host IN (${list}) GROUP BY scope_host`,
  );
  return new Map(rows.map((r) => [r.h, Number(r.at)]));
}
