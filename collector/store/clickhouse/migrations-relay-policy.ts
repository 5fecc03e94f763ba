import { addColumnStatement, lowCardinalityString, ttlClause } from "./dialect.js";
import type { Migration } from "./migrations.js";
import { tableName } from "./sql-literal.js";

/**
 * Migration 7: relaying judged by destination and permission.
 * `mail_windows.relayed` / `relayed_recipients` (client_ip windows: messages
 * from an unauthenticated, unpermitted client for a domain the host does not
 * serve) and `relay_policies`, one row per full RelayPolicy a probe sends
 * (at start and when the MTA's served domains, permitted networks or
 * open-relay settings change). Rows stored before it read 0. Documented in
 * docs/clickhouse-schema.md.
 */
export const RELAY_POLICY_MIGRATION: Migration = {
  version: 7,
  name: "relay_policies + mail_windows.relayed",
  statements: (d, o) => {
    const lc = lowCardinalityString(d);
    const windows = tableName(o.database, "mail_windows");
    return [
      addColumnStatement(d, windows, "relayed", "UInt32", "distinct_failed_client_ips"),
      addColumnStatement(d, windows, "relayed_recipients", "UInt32", "relayed"),
      `CREATE TABLE IF NOT EXISTS ${tableName(o.database, "relay_policies")} (
  host_id String,
  stream_epoch UInt64,
  batch_seq UInt64,
  observed_at DateTime('UTC'),
  read_at_unix_ms UInt64,
  hash String,
  mta ${lc},
  served_domains Array(String),
  permitted_networks Array(String),
  unreadable_sources Array(String),
  sources Array(String),
  finding_settings Array(String),
  finding_files Array(String),
  finding_values Array(String),
  finding_reasons Array(String)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (host_id, observed_at)
${ttlClause(d, "observed_at", Math.max(o.retentionDays, 365))}`,
    ];
  },
};
