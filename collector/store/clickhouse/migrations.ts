import { lowCardinalityString, ttlClause, type Dialect } from "./dialect.js";
import { ALERTS_MIGRATION } from "./migrations-alerts.js";
import { DNSBL_MIGRATION } from "./migrations-dnsbl.js";
import { REMEDIATION_MIGRATION } from "./migrations-remediation.js";
import { FAILED_CLIENT_IPS_MIGRATION } from "./migrations-failed-client-ips.js";
import { RELAY_POLICY_MIGRATION } from "./migrations-relay-policy.js";
import { ALERTS_SUPPRESSION_MIGRATION, SUPPRESSIONS_MIGRATION } from "./migrations-suppressions.js";
import { SCRIPT_SUBMISSIONS_MIGRATION } from "./migrations-script-submissions.js";
import { MESSAGES_MIGRATION, MTA_NAMES_MIGRATION } from "./migrations-messages.js";
import { tableName } from "./sql-literal.js";

/** Options that shape the schema. */
export interface SchemaOptions {
  /** Database name. */
  database: string;
  /** Rows older than this many days are dropped (TTL where supported, partition drops otherwise). */
  retentionDays: number;
  /** Days `messages` and `message_deliveries` rows are kept; default DEFAULT_MESSAGE_RETENTION_DAYS. */
  messageRetentionDays?: number;
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
      const table = (name: string): string => tableName(o.database, name);
      const lc = lowCardinalityString(d);
      return [
        `CREATE TABLE IF NOT EXISTS ${table("hosts")} (
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
        `CREATE TABLE IF NOT EXISTS ${table("ingest_batches")} (
  host_id ${lc},
  stream_epoch UInt64,
  batch_seq UInt64,
  created_at DateTime('UTC'),
  received_at DateTime('UTC'),
  socket_rows UInt32,
  queue_rows UInt32,
  mail_window_rows UInt32,
  auth_window_rows UInt32,
  evicted_batches_total UInt64,
  collector_id String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (host_id, stream_epoch, batch_seq)
${ttlClause(d, "received_at", o.retentionDays)}`,
        `CREATE TABLE IF NOT EXISTS ${table("socket_snapshots")} (
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
  {
    version: 2,
    name: "queue_snapshots, mail_windows, auth_windows, log_read_stats",
    statements: (d, o) => {
      const table = (name: string): string => tableName(o.database, name);
      const lc = lowCardinalityString(d);
      const batchKey = `host_id ${lc},
  stream_epoch UInt64,
  batch_seq UInt64,`;
      const counts = ["received", "delivered", "deferred", "bounced", "rejected", "relay_denied", "auth_failures", "auth_successes", "null_sender", "distinct_recipients", "distinct_recipient_domains", "distinct_client_ips"]
        .map((c) => `  ${c} UInt32,`)
        .join("\n");
      return [
        `CREATE TABLE IF NOT EXISTS ${table("queue_snapshots")} (
  ${batchKey}
  observed_at DateTime('UTC'),
  observed_at_unix_ms UInt64,
  mta ${lc},
  source ${lc},
  complete UInt8,
  total UInt32,
  by_queue_names Array(String),
  by_queue_counts Array(UInt32),
  frozen_or_held UInt32,
  oldest_age_seconds Int64,
  null_sender UInt32,
  recipients UInt32,
  top_senders Array(String),
  top_sender_counts Array(UInt32),
  top_recipient_domains Array(String),
  top_recipient_domain_counts Array(UInt32)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(observed_at)
ORDER BY (host_id, observed_at)
${ttlClause(d, "observed_at", o.retentionDays)}`,
        `CREATE TABLE IF NOT EXISTS ${table("mail_windows")} (
  ${batchKey}
  window_start DateTime('UTC'),
  window_start_unix_ms UInt64,
  window_seconds UInt32,
  identity_kind ${lc},
  identity String,
${counts}
  sample_queue_ids Array(String),
  sample_message_ids Array(String),
  sample_lines Array(String)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(window_start)
ORDER BY (host_id, identity_kind, identity, window_start)
${ttlClause(d, "window_start", o.retentionDays)}`,
        `CREATE TABLE IF NOT EXISTS ${table("auth_windows")} (
  ${batchKey}
  window_start DateTime('UTC'),
  window_start_unix_ms UInt64,
  window_seconds UInt32,
  client_ip String,
  username String,
  failures UInt32,
  successes UInt32,
  services Array(String),
  sample_lines Array(String)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(window_start)
ORDER BY (client_ip, username, window_start, host_id)
${ttlClause(d, "window_start", o.retentionDays)}`,
        `CREATE TABLE IF NOT EXISTS ${table("log_read_stats")} (
  ${batchKey}
  observed_at DateTime('UTC'),
  path String,
  lines UInt64,
  recognised UInt64,
  unrecognised UInt64,
  rotations UInt32
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(observed_at)
ORDER BY (host_id, path, observed_at)
${ttlClause(d, "observed_at", o.retentionDays)}`,
      ];
    },
  },
  ALERTS_MIGRATION,
  DNSBL_MIGRATION,
  REMEDIATION_MIGRATION,
  FAILED_CLIENT_IPS_MIGRATION,
  RELAY_POLICY_MIGRATION,
  SUPPRESSIONS_MIGRATION,
  ALERTS_SUPPRESSION_MIGRATION,
  SCRIPT_SUBMISSIONS_MIGRATION,
  MESSAGES_MIGRATION,
  MTA_NAMES_MIGRATION,
];
