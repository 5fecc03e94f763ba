import type { Batch, Hello } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import { toClickHouseDateTime } from "./clickhouse/datetime.js";
import { tableName } from "./clickhouse/sql-literal.js";
import { inList } from "./clickhouse/sql.js";
import type { ClickHouseStore } from "./clickhouse/store.js";
import { GroupedLookup } from "./grouped-lookup.js";
import type { InsertBatcher } from "./insert-batcher.js";
import { hostRow } from "./rows/host-row.js";
import { authWindowRows, logStatRows, mailWindowRows, queueRows, scriptSubmissionRows } from "./rows/mta-rows.js";
import { relayPolicyRows } from "./rows/relay-policy-rows.js";
import { socketRows } from "./rows/socket-rows.js";
import { messageDeliveryRows, messageRows } from "./rows/message-rows.js";
import type { Row } from "./clickhouse/store.js";

/** Data tables a batch fills, in insert order, with their row builders. */
const BATCH_TABLES: readonly (readonly [string, (batch: Batch) => Row[]])[] = [
  ["socket_snapshots", socketRows],
  ["queue_snapshots", queueRows],
  ["mail_windows", mailWindowRows],
  ["auth_windows", authWindowRows],
  ["log_read_stats", logStatRows],
  ["relay_policies", relayPolicyRows],
  ["script_submissions", scriptSubmissionRows],
  ["messages", messageRows],
  ["message_deliveries", messageDeliveryRows],
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
  /** Highest stored sequence number per (host, epoch), asked by many Hellos at once. */
  private readonly storedThrough: GroupedLookup<StreamKey, bigint>;
  /** The data tables holding rows of a (host, epoch, seq), asked by many streams' first batches at once. */
  private readonly present: GroupedLookup<BatchKey, ReadonlySet<string>>;

  constructor(
    private readonly store: ClickHouseStore,
    /** Name of this collector instance, stored with every row it writes. */
    private readonly collectorId: string,
    /** Merges rows of concurrent streams into large inserts. */
    private readonly batcher: InsertBatcher,
  ) {
    this.storedThrough = new GroupedLookup<StreamKey, bigint>(
      async (keys) => {
        const rows = await this.store.query<{ h: string; e: string; seq: string }>(
          `SELECT host_id AS h, toString(stream_epoch) AS e, toString(max(batch_seq)) AS seq FROM ${tableName(this.store.database, "ingest_batches")}
WHERE host_id IN ${inList([...new Set(keys.map((k) => k.hostId))])} GROUP BY host_id, stream_epoch`,
        );
        return new Map(rows.map((r) => [streamId({ hostId: r.h, epoch: BigInt(r.e) }), BigInt(r.seq)]));
      },
      streamId,
      { maxKeys: LOOKUP_MAX_KEYS, absent: 0n },
    );
    // One statement over every data table (UNION ALL): one lookup per re-sent batch instead of one per table.
    // It is not cheaper for the server (each part reads a granule either way); what removed the cost is that
    // batches sent for the first time are not checked at all (Batch.first_send; bench/fleet/README.md).
    this.present = new GroupedLookup<BatchKey, ReadonlySet<string>>(
      async (keys) => {
        const where = `host_id IN ${inList([...new Set(keys.map((k) => k.hostId))])} AND batch_seq IN ${inList([...new Set(keys.map((k) => Number(k.seq)))])}`;
        const rows = await this.store.query<{ t: string; h: string; e: string; s: string }>(
          BATCH_TABLES.map(
            ([table]) =>
              `SELECT DISTINCT '${table}' AS t, host_id AS h, toString(stream_epoch) AS e, toString(batch_seq) AS s FROM ${tableName(this.store.database, table)} WHERE ${where}`,
          ).join("\nUNION ALL\n"),
        );
        const found = new Map<string, Set<string>>();
        for (const r of rows) {
          const id = batchId({ hostId: r.h, epoch: BigInt(r.e), seq: BigInt(r.s) });
          found.set(id, (found.get(id) ?? new Set<string>()).add(r.t));
        }
        return found;
      },
      batchId,
      { maxKeys: LOOKUP_MAX_KEYS, absent: new Set<string>() },
    );
  }

  /** Records the host and opens a cursor for its stream, reading what is already stored. */
  async openStream(hello: Hello, certName: string): Promise<StreamCursor> {
    const key = { hostId: hello.hostId, epoch: hello.streamEpoch };
    const [storedThrough] = await Promise.all([this.storedThrough.get(key), this.batcher.write("hosts", [hostRow(hello, certName, this.collectorId, Date.now())])]);
    return { hostId: hello.hostId, epoch: hello.streamEpoch, storedThrough, verifying: true };
  }

  /** Stores one batch unless it was stored before. */
  async storeBatch(cursor: StreamCursor, batch: Batch): Promise<StoreOutcome> {
    if (batch.seq <= cursor.storedThrough) return { duplicate: true, rows: {} };
    const built = BATCH_TABLES.map(([table, build]) => [table, build(batch)] as const);
    const rows: Record<string, number> = {};
    let skipped = false;
    const writes: Promise<void>[] = [];
    // Each table's INSERT is atomic, so a table holding rows of this batch holds all of them.
    // A batch the probe never wrote before cannot have been stored in part: no lookup (see Batch.first_send).
    const present = cursor.verifying && !batch.firstSend ? await this.present.get({ hostId: batch.hostId, epoch: batch.streamEpoch, seq: batch.seq }) : new Set<string>();
    for (const [table, tableRows] of built) {
      if (tableRows.length === 0) continue;
      if (present.has(table)) {
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
}

/** Most streams one grouped lookup query asks about (keeps the IN lists and the SQL text bounded). */
const LOOKUP_MAX_KEYS = 500;

interface StreamKey {
  hostId: string;
  epoch: bigint;
}

interface BatchKey extends StreamKey {
  seq: bigint;
}

function streamId(k: StreamKey): string {
  return `${k.hostId}\u0000${k.epoch}`;
}

function batchId(k: BatchKey): string {
  return `${streamId(k)}\u0000${k.seq}`;
}
