import type { Logger } from "pino";
import { quoteString, tableName } from "./clickhouse/sql-literal.js";
import type { ClickHouseStore } from "./clickhouse/store.js";

/** Tables whose day partitions the message retention drops. */
export const MESSAGE_TABLES = ["messages", "message_deliveries"] as const;

/** Day (YYYYMMDD, UTC) of a time, as ClickHouse's toYYYYMMDD names a partition. */
function dayNumber(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/**
 * Drops the day partitions of `messages` and `message_deliveries` older than
 * `days` (ClickHouse 18.16 has no TTL; where TTL exists this only removes
 * what a merge has not yet). Tables that are not MergeTree here (the
 * Distributed tables of a cluster, whose shards keep their TTL) are left
 * alone. Returns the partitions dropped, as "table:YYYYMMDD".
 */
export async function pruneMessages(store: ClickHouseStore, days: number, nowMs: number): Promise<string[]> {
  const cutoff = dayNumber(nowMs - days * 86_400_000);
  const parts = await store.query<{ table: string; partition: string }>(
    `SELECT DISTINCT table, partition FROM system.parts WHERE database = ${quoteString(store.database)} AND active AND table IN (${MESSAGE_TABLES.map(quoteString).join(", ")}) ORDER BY table, partition`,
  );
  const dropped: string[] = [];
  for (const p of parts) {
    const day = Number(p.partition.replace(/'/g, ""));
    if (!Number.isInteger(day) || day >= cutoff) continue;
    await store.command(`ALTER TABLE ${tableName(store.database, p.table)} DROP PARTITION ${day}`);
    dropped.push(`${p.table}:${day}`);
  }
  return dropped;
}

/** Runs pruneMessages at start and then every `intervalMs`; stop() waits for a run in progress. */
export function startMessagePruner(opts: { store: ClickHouseStore; days: number; intervalMs?: number; logger?: Logger }): { stop(): Promise<void> } {
  const intervalMs = opts.intervalMs ?? 3_600_000;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    running = pruneMessages(opts.store, opts.days, Date.now())
      .then((dropped) => {
        if (dropped.length > 0) opts.logger?.info({ dropped, retention_days: opts.days }, "message retention: old partitions dropped");
      })
      .catch((error: unknown) => opts.logger?.error({ err: (error as Error).message }, "message retention failed"));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
