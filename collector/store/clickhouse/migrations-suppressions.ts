import { addColumnStatement, lowCardinalityString } from "./dialect.js";
import type { Migration } from "./migrations.js";
import { tableName } from "./sql-literal.js";

/**
 * Migration 8: `suppressions`, the abuse team's suppressions written by
 * `spamtrace suppress` (collector/suppress/): one row per version of a
 * suppression, the newest (by `version`) wins; `removed = 1` ends it before
 * its expiry. Documented in docs/clickhouse-schema.md and docs/suppressions.md.
 */
export const SUPPRESSIONS_MIGRATION: Migration = {
  version: 8,
  name: "suppressions",
  statements: (d, o) => {
    const lc = lowCardinalityString(d);
    return [
      `CREATE TABLE IF NOT EXISTS ${tableName(o.database, "suppressions")} (
  id String,
  rule ${lc},
  scope ${lc},
  value String,
  reason String,
  expires_at DateTime('UTC'),
  expires_at_unix_ms UInt64,
  created_by String,
  created_at_unix_ms UInt64,
  removed UInt8,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id`,
    ];
  },
};

/**
 * Migration 9: `alerts.suppression_id` and `alerts.suppression_reason`: an
 * incident a suppression covers is stored with its id and reason (and not
 * notified); both "" otherwise. Rows stored before read "".
 */
export const ALERTS_SUPPRESSION_MIGRATION: Migration = {
  version: 9,
  name: "alerts.suppression_id, alerts.suppression_reason",
  statements: (d, o) => [
    addColumnStatement(d, tableName(o.database, "alerts"), "suppression_id", "String", "version"),
    addColumnStatement(d, tableName(o.database, "alerts"), "suppression_reason", "String", "suppression_id"),
  ],
};
