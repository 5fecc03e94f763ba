import type { Batch, Hello } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import { toClickHouseDateTime } from "./clickhouse/datetime.js";
import { bindSql } from "./clickhouse/sql-literal.js";
import type { ClickHouseStore } from "./clickhouse/store.js";
import { hostRow } from "./rows/host-row.js";
import { socketRows } from "./rows/socket-rows.js";

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
  /** Rows written to data tables. */
  rows: number;
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
  ) {}

  /** Records the host and opens a cursor for its stream, reading what is already stored. */
  async openStream(hello: Hello, certName: string): Promise<StreamCursor> {
    await this.store.insert("hosts", [hostRow(hello, certName, this.collectorId, Date.now())]);
    const rows = await this.store.query<{ seq: string }>(
      bindSql(`SELECT max(batch_seq) AS seq FROM ${this.store.database}.ingest_batches WHERE host_id = {h} AND stream_epoch = {e}`, {
        h: hello.hostId,
        e: hello.streamEpoch,
      }),
    );
    return { hostId: hello.hostId, epoch: hello.streamEpoch, storedThrough: BigInt(rows[0]?.seq ?? 0), verifying: true };
  }

  /** Stores one batch unless it was stored before. */
  async storeBatch(cursor: StreamCursor, batch: Batch): Promise<StoreOutcome> {
    if (batch.seq <= cursor.storedThrough) return { duplicate: true, rows: 0 };
    const sockets = socketRows(batch);
    let written = 0;
    if (!(cursor.verifying && (await this.hasRows("socket_snapshots", batch)))) {
      await this.store.insert("socket_snapshots", sockets);
      written += sockets.length;
      cursor.verifying = false;
    }
    await this.store.insert("ingest_batches", [
      {
        host_id: batch.hostId,
        stream_epoch: batch.streamEpoch.toString(),
        batch_seq: batch.seq.toString(),
        created_at: toClickHouseDateTime(Number(batch.createdAtUnixMs)),
        received_at: toClickHouseDateTime(Date.now()),
        socket_rows: sockets.length,
        evicted_batches_total: batch.evictedBatchesTotal.toString(),
        collector_id: this.collectorId,
      },
    ]);
    cursor.storedThrough = batch.seq;
    return { duplicate: written === 0 && sockets.length > 0, rows: written };
  }

  private async hasRows(table: string, batch: Batch): Promise<boolean> {
    const rows = await this.store.query<{ n: string }>(
      bindSql(`SELECT count() AS n FROM ${this.store.database}.${table} WHERE host_id = {h} AND stream_epoch = {e} AND batch_seq = {s}`, {
        h: batch.hostId,
        e: batch.streamEpoch,
        s: batch.seq,
      }),
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }
}
