import { lowCardinalityString, ttlClause, type Dialect } from "./dialect.js";
import { quoteIdentifier } from "./sql-literal.js";

/** Options that shape the schema. */
export interface SchemaOptions {
  /** Database name. */
  database: string;
  /** Rows older than this many days are dropped (TTL where supported, partition drops otherwise). */
  retentionDays: number;
}

/** One schema step; statements must be idempotent (IF NOT EXISTS) so racing collectors are harmless. */
export interface Migration {
  /** Increasing version number. */
  version: number;
  /** Short description stored in schema_migrations. */
  name: string;
  /** The DDL, one statement per string (18.16 refuses multi-statement requests). */
  statements(dialect: Dialect, opts: SchemaOptions): string[];
}

/**
 * Every table and column is documented in docs/clickhouse-schema.md for
 * analysts; keep both in step. Times are UTC; `_unix_ms` columns keep the
 * millisecond precision that DateTime (seconds) lacks on 18.16.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "hosts, ingest_batches, socket_snapshots",
    statements: (d, o) => {
      const db = quoteIdentifier(o.database);
      const lc = lowCardinalityString(d);
      return [
        `CREATE TABLE IF NOT EXISTS ${db}.hosts (
  host_id ${lc},
  hostname String,
  ip_addresses Array(String),
  os String,
  kernel String,
  probe_version String,
  mta_kind ${lc},
  mta_version String,
  mta_binary_paths Array(String),
  mta_log_paths Array(String),
  mta_queue_path String,
  boot_time_unix_ms UInt64,
  stream_epoch UInt64,
  cert_name String,
  collector_id String,
  last_seen DateTime('UTC'),
  last_seen_unix_ms UInt64
) ENGINE = ReplacingMergeTree(last_seen_unix_ms)
ORDER BY host_id`,
        `CREATE TABLE IF NOT EXISTS ${db}.ingest_batches (
  host_id ${lc},
  stream_epoch UInt64,
  batch_seq UInt64,
  created_at DateTime('UTC'),
  received_at DateTime('UTC'),
  socket_rows UInt32,
  evicted_batches_total UInt64,
  collector_id String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (host_id, stream_epoch, batch_seq)
${ttlClause(d, "received_at", o.retentionDays)}`,
        `CREATE TABLE IF NOT EXISTS ${db}.socket_snapshots (
  host_id ${lc},
  stream_epoch UInt64,
  batch_seq UInt64,
  observed_at DateTime('UTC'),
  observed_at_unix_ms UInt64,
  started_at_unix_ms UInt64,
  source ${lc},
  samples UInt32,
  proto ${lc},
  state ${lc},
  direction ${lc},
  local_address String,
  local_port UInt16,
  remote_address String,
  remote_port UInt16,
  inode UInt64,
  first_seen_unix_ms UInt64,
  last_seen_unix_ms UInt64,
  socket_uid UInt32,
  pid UInt32,
  ppid UInt32,
  uid Nullable(UInt32),
  user String,
  comm String,
  argv Array(String),
  exe String,
  exe_deleted UInt8,
  cwd String,
  process_start_unix_ms UInt64,
  exe_sha256 String
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(observed_at)
ORDER BY (host_id, observed_at, direction, inode)
${ttlClause(d, "observed_at", o.retentionDays)}`,
      ];
    },
  },
];
