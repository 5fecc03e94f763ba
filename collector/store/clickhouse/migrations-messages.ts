import { addColumnStatement, lowCardinalityString, ttlClause } from "./dialect.js";
import type { Migration, SchemaOptions } from "./migrations.js";
import { tableName } from "./sql-literal.js";

/** Default retention of `messages` and `message_deliveries`, days (they name people's addresses). */
export const DEFAULT_MESSAGE_RETENTION_DAYS = 30;

/** Days `messages` rows are kept: their own setting, else the default. */
export function messageRetentionDays(o: SchemaOptions): number {
  return o.messageRetentionDays ?? DEFAULT_MESSAGE_RETENTION_DAYS;
}

/**
 * Migration 11: every message the MTA accepted (`messages`, one row each) and
 * its delivery outcomes (`message_deliveries`, summed per message, recipient
 * domain and outcome over the log lines of one batch), so a complaint about
 * any message of a burst can be traced to its SASL user, local user or
 * script. A second plain MergeTree rather than a ReplacingMergeTree: outcomes
 * arrive in parts over several batches and are summed, which works the same
 * on 18.16 and chdb. Both are partitioned by day and kept
 * `store.messageRetentionDays` (TTL where the server has it; on 18.16 the
 * collector drops old partitions, collector/store/prune-messages.ts).
 * Columns are documented in docs/clickhouse-schema.md.
 */
export const MESSAGES_MIGRATION: Migration = {
  version: 11,
  name: "messages, message_deliveries",
  statements: (d, o) => {
    const lc = lowCardinalityString(d);
    const days = messageRetentionDays(o);
    const batchKey = `host_id ${lc},
  stream_epoch UInt64,
  batch_seq UInt64,`;
    return [
      `CREATE TABLE IF NOT EXISTS ${tableName(o.database, "messages")} (
  ${batchKey}
  received_at DateTime('UTC'),
  received_at_unix_ms UInt64,
  queue_id String,
  message_id String,
  sender String,
  null_sender UInt8,
  sasl_user String,
  local_user String,
  local_uid Int64,
  script String,
  client_ip String,
  client_host String,
  size_bytes Int64,
  recipient_count Int32,
  protocol ${lc},
  source ${lc}
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (host_id, queue_id, received_at)
${ttlClause(d, "received_at", days)}`,
      `CREATE TABLE IF NOT EXISTS ${tableName(o.database, "message_deliveries")} (
  ${batchKey}
  queue_id String,
  recipient_domain String,
  outcome ${lc},
  count UInt32,
  first_at DateTime('UTC'),
  first_at_unix_ms UInt64,
  last_at DateTime('UTC'),
  last_at_unix_ms UInt64,
  relay String,
  status_text String,
  dsn String
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(last_at)
ORDER BY (host_id, queue_id, recipient_domain, outcome)
${ttlClause(d, "last_at", days)}`,
    ];
  },
};

/**
 * Migration 12: `hosts.mta_names`, the names the host's MTA writes into
 * Received: headers (Postfix myhostname, Exim primary_hostname, listener
 * names), which `spamtrace complaint` matches hops against. Rows stored
 * before it read [].
 */
export const MTA_NAMES_MIGRATION: Migration = {
  version: 12,
  name: "hosts.mta_names",
  statements: (d, o) => [addColumnStatement(d, tableName(o.database, "hosts"), "mta_names", "Array(String)", "mta_queue_path")],
};
