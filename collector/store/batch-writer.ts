import type { Batch, Hello } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import { toClickHouseDateTime } from "./clickhouse/datetime.js";
import { bindSql, tableName } from "./clickhouse/sql-literal.js";
import type { ClickHouseStore } from "./clickhouse/store.js";
import type { InsertBatcher } from "./insert-batcher.js";
import { hostRow } from "./rows/host-row.js";
import { authWindowRows, logStatRows, mailWindowRows, queueRows } from "./rows/mta-rows.js";
import { socketRows } from "./rows/socket-rows.js";
import type { Row } from "./clickhouse/store.js";

/** Data tables a batch fills, in insert order, with their row builders. */
const BATCH_TABLES: readonly (readonly [string, (batch: Batch) => Row[]])[] = [
  ["socket_snapshots", socketRows],
  ["queue_snapshots", queueRows],
  ["mail_windows", mailWindowRows],
  ["auth_windows", authWindowRows],
  ["log_read_stats", logStatRows],
];

/** Per-connection dedup state of one (host_id, stream_epoch). */
export interface StreamCursor {
  readonly hostId: string;
  readonly epoch: bigint;
  /** Highest sequence number known stored. */
  storedThrough: bigint;
  /**
   * True until a batch is found absent from every table: a previous
   * connection may have stored part of a batch (crash between two inserts)
   * without its ingest_batches marker, so those tables are checked first.
   */
  verifying: boolean;
}

/** What storing a batch did. */
export interface StoreOutcome {
  /** True when the batch had been stored before and nothing was written. */
  duplicate: boolean;
  /** Rows written, per data table. */
  rows: Record<string, number>;
}

/**
 * Writes probe messages to ClickHouse effectively once. A batch is stored as
 * one INSERT per data table followed by its `ingest_batches` marker; the
 * marker's max sequence per stream tells a reconnecting probe what to skip.
 * Batches of one stream are written one at a time, in sequence order.
 */
export class BatchWriter {
  constructor(
    private readonly store: ClickHouseStore,
    /** Name of this collector instance, stored with every row it writes. */
    private readonly collectorId: string,
    /** Merges rows of concurrent streams into large inserts. */
    private readonly batcher: InsertBatcher,
  ) {}

  /** Records the host and opens a cursor for its stream, reading what is already stored. */
  async openStream(hello: Hello, certName: string): Promise<StreamCursor> {
    await this.store.insert("hosts", [hostRow(hello, certName, this.collectorId, Date.now())]);
    const rows = await this.store.query<{ seq: string }>(
      bindSql(`SELECT max(batch_seq) AS seq FROM ${tableName(this.store.database, "ingest_batches")} WHERE host_id = {h} AND stream_epoch = {e}`, {
        h: hello.hostId,
        e: hello.streamEpoch,
      }),
    );
    return { hostId: hello.hostId, epoch: hello.streamEpoch, storedThrough: BigInt(rows[0]?.seq ?? 0), verifying: true };
  }

  /** Stores one batch unless it was stored before. */
  async storeBatch(cursor: StreamCursor, batch: Batch): Promise<StoreOutcome> {
    if (batch.seq <= cursor.storedThrough) return { duplicate: true, rows: {} };
    const built = BATCH_TABLES.map(([table, build]) => [table, build(batch)] as const);
    const rows: Record<string, number> = {};
    let skipped = false;
    const writes: Promise<void>[] = [];
    for (const [table, tableRows] of built) {
      if (tableRows.length === 0) continue;
      // Each table's INSERT is atomic, so a table holding rows of this batch holds all of them.
      if (cursor.verifying && (await this.hasRows(table, batch))) {
        skipped = true;
        continue;
      }
      writes.push(this.batcher.write(table, tableRows));
      rows[table] = tableRows.length;
    }
    // The marker goes in only after every data row is stored: it is what tells a reconnecting probe to skip the batch.
    await Promise.all(writes);
    if (!skipped) cursor.verifying = false;
    const count = (table: string): number => built.find(([t]) => t === table)![1].length;
    await this.batcher.write("ingest_batches", [
      {
        host_id: batch.hostId,
        stream_epoch: batch.streamEpoch.toString(),
        batch_seq: batch.seq.toString(),
        created_at: toClickHouseDateTime(Number(batch.createdAtUnixMs)),
        received_at: toClickHouseDateTime(Date.now()),
        socket_rows: count("socket_snapshots"),
        queue_rows: count("queue_snapshots"),
        mail_window_rows: count("mail_windows"),
        auth_window_rows: count("auth_windows"),
        evicted_batches_total: batch.evictedBatchesTotal.toString(),
        collector_id: this.collectorId,
      },
    ]);
    cursor.storedThrough = batch.seq;
    return { duplicate: skipped && Object.keys(rows).length === 0, rows };
  }

  private async hasRows(table: string, batch: Batch): Promise<boolean> {
    const rows = await this.store.query<{ n: string }>(
      bindSql(`SELECT count() AS n FROM ${tableName(this.store.database, table)} WHERE host_id = {h} AND stream_epoch = {e} AND batch_seq = {s}`, {
        h: batch.hostId,
        e: batch.streamEpoch,
        s: batch.seq,
      }),
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }
}
