import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Lab } from "./spamtrace-lab.js";

/** How a probe's batches ended up, counted from its spool and from ClickHouse. */
export interface DeliveryLedger {
  /** Batches the probe created (its last sequence number). */
  sent: number;
  /** Distinct batches stored in ClickHouse. */
  stored: number;
  /** Batches still in the probe's spool (not acknowledged yet; will be re-sent). */
  inSpool: number;
  /** Batches the probe evicted from its full spool and reported to the collector (some may have been stored before their ack was lost). */
  evictedReported: number;
  /** Batches whose socket rows were stored more than once. */
  duplicates: number;
  /** Batches neither stored, nor in the spool, nor reported evicted: silently lost. */
  lost: number;
  /** Stored batches with no socket row and no relay policy (each scenario keeps a listener open, so this must be 0). */
  empty: number;
}

/** Where a ledger is counted from: a probe's spool folder and the ClickHouse its collector stores into. */
export interface LedgerSource {
  spoolDir: string;
  database: string;
  sql<T>(query: string): Promise<T[]>;
}

/** Counts the ledger of probe `hostId` in a lab: the probe should be stopped first. */
export async function deliveryLedger(lab: Lab, hostId: string): Promise<DeliveryLedger> {
  return spoolLedger({ spoolDir: join(lab.dir, `spool-${hostId}`), database: lab.database, sql: (query) => lab.sql(query) }, hostId);
}

/** Counts the ledger of probe `hostId` from its spool and ClickHouse (an installed probe, outside a lab): stop the probe first. */
export async function spoolLedger(source: LedgerSource, hostId: string): Promise<DeliveryLedger> {
  const dir = source.spoolDir;
  const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as { epoch: string; lastSeq: string };
  const pending = new Set((await readdir(dir)).filter((n) => n.endsWith(".batch")).map((n) => Number.parseInt(n, 10)));
  const where = `host_id = '${hostId}' AND stream_epoch = ${state.epoch}`;
  const batches = await source.sql<{ seq: number; socket_rows: number; evicted: number }>(
    `SELECT batch_seq AS seq, any(socket_rows) AS socket_rows, any(evicted_batches_total) AS evicted FROM ${source.database}.ingest_batches WHERE ${where} GROUP BY batch_seq`,
  );
  const rows = await source.sql<{ seq: number; n: number }>(
    `SELECT batch_seq AS seq, count() AS n FROM ${source.database}.socket_snapshots WHERE ${where} GROUP BY batch_seq`,
  );
  // A batch whose only content is the MTA's relay policy (sent at once, before any mail) is not empty.
  const policies = await source.sql<{ seq: number }>(`SELECT DISTINCT batch_seq AS seq FROM ${source.database}.relay_policies WHERE ${where}`);
  const policySeqs = new Set(policies.map((p) => Number(p.seq)));
  const rowsBySeq = new Map(rows.map((r) => [Number(r.seq), Number(r.n)]));
  const storedSeqs = new Set(batches.map((b) => Number(b.seq)));
  const sent = Number(state.lastSeq);
  const evictedReported = batches.reduce((max, b) => Math.max(max, Number(b.evicted)), 0);
  let missing = 0;
  for (let seq = 1; seq <= sent; seq++) if (!storedSeqs.has(seq) && !pending.has(seq)) missing++;
  return {
    sent,
    stored: storedSeqs.size,
    inSpool: [...pending].filter((seq) => !storedSeqs.has(seq)).length,
    evictedReported,
    duplicates: batches.filter((b) => (rowsBySeq.get(Number(b.seq)) ?? 0) > Number(b.socket_rows)).length,
    lost: Math.max(0, missing - evictedReported),
    empty: batches.filter((b) => Number(b.socket_rows) === 0 && !policySeqs.has(Number(b.seq))).length,
  };
}

/** The last sequence number the probe gave out. */
export async function spoolLastSeq(lab: Lab, hostId: string): Promise<number> {
  const state = JSON.parse(await readFile(join(lab.dir, `spool-${hostId}`, "state.json"), "utf8")) as { lastSeq: string };
  return Number(state.lastSeq);
}

/** Number of batches waiting in the probe's spool. */
export async function spoolPending(lab: Lab, hostId: string): Promise<number> {
  return (await readdir(join(lab.dir, `spool-${hostId}`))).filter((n) => n.endsWith(".batch")).length;
}
