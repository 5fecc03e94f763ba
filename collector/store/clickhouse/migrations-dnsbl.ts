import { lowCardinalityString, ttlClause } from "./dialect.js";
import type { Migration } from "./migrations.js";
import { tableName } from "./sql-literal.js";

/**
 * Migration 4: DNSBL answers about the fleet's outbound addresses
 * (`dnsbl_checks`, one row per address, zone and check run), written by the
 * scheduled check and `spamtrace dnsbl`; the `blacklisted` rule reads them.
 * Columns are documented in docs/clickhouse-schema.md.
 */
export const DNSBL_MIGRATION: Migration = {
  version: 4,
  name: "dnsbl_checks",
  statements: (d, o) => {
    const lc = lowCardinalityString(d);
    return [
      `CREATE TABLE IF NOT EXISTS ${tableName(o.database, "dnsbl_checks")} (
  checked_at DateTime('UTC'),
  checked_at_unix_ms UInt64,
  run_id String,
  trigger ${lc},
  address String,
  zone ${lc},
  host_ids Array(String),
  outcome ${lc},
  return_codes Array(String),
  meanings Array(String),
  txt String,
  delist_url String,
  ttl_seconds UInt32,
  from_cache UInt8,
  error String,
  duration_ms UInt32,
  collector_id String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(checked_at)
ORDER BY (address, zone, checked_at)
${ttlClause(d, "checked_at", Math.max(o.retentionDays, 365))}`,
    ];
  },
};
