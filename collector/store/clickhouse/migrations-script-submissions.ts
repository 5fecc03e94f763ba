import { lowCardinalityString, ttlClause } from "./dialect.js";
import type { Migration } from "./migrations.js";
import { tableName } from "./sql-literal.js";

/**
 * Migration 10: `script_submissions`, the local programs a probe saw handing
 * a message to the MTA (Postfix maildrop writers with their ancestry, PHP
 * mail.log lines): the evidence behind the `script` windows of an MTA that
 * logs no script. Documented in docs/clickhouse-schema.md.
 */
export const SCRIPT_SUBMISSIONS_MIGRATION: Migration = {
  version: 10,
  name: "script_submissions",
  statements: (d, o) => {
    const lc = lowCardinalityString(d);
    return [
      `CREATE TABLE IF NOT EXISTS ${tableName(o.database, "script_submissions")} (
  host_id ${lc},
  stream_epoch UInt64,
  batch_seq UInt64,
  observed_at DateTime('UTC'),
  observed_at_unix_ms Int64,
  source ${lc},
  uid Int64,
  script String,
  line UInt32,
  sender String,
  recipients Array(String),
  message_id String,
  ancestry_pids Array(UInt32),
  ancestry_argv Array(String),
  ancestry_cwd Array(String),
  ancestry_exe Array(String),
  raw String
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(observed_at)
ORDER BY (host_id, script, observed_at)
${ttlClause(d, "observed_at", o.retentionDays)}`,
    ];
  },
};
