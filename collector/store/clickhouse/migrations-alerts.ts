import { lowCardinalityString, ttlClause } from "./dialect.js";
import type { Migration } from "./migrations.js";
import { tableName } from "./sql-literal.js";

/**
 * Migration 3: incidents raised by the detectors (`alerts`), the claims
 * collectors sharing one ClickHouse use to decide who opens an incident and
 * who sends a notification (`alert_claims`), and the notifications sent
 * (`alert_notifications`). Columns are documented in
 * docs/clickhouse-schema.md (section "Incidents").
 */
export const ALERTS_MIGRATION: Migration = {
  version: 3,
  name: "alerts, alert_claims, alert_notifications",
  statements: (d, o) => {
    const table = (name: string): string => tableName(o.database, name);
    const lc = lowCardinalityString(d);
    return [
      // One row per incident version; FINAL (or argMax by version) gives the
      // current state. Partitioned by the open time, which never changes for an
      // incident, because ReplacingMergeTree only collapses rows within a partition.
      `CREATE TABLE IF NOT EXISTS ${table("alerts")} (
  incident_id String,
  incident_key String,
  rule ${lc},
  scope ${lc},
  scope_host String,
  subject String,
  severity ${lc},
  status ${lc},
  hosts Array(String),
  summary String,
  opened_at DateTime('UTC'),
  opened_at_unix_ms UInt64,
  first_seen_unix_ms UInt64,
  last_seen_unix_ms UInt64,
  updated_at_unix_ms UInt64,
  resolved_at_unix_ms UInt64,
  detections UInt32,
  counts_json String,
  details_json String,
  evidence_json String,
  remediation Array(String),
  previous_incident_id String,
  collector_id String,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(opened_at)
ORDER BY incident_id
${ttlClause(d, "opened_at", Math.max(o.retentionDays, 365))}`,
      `CREATE TABLE IF NOT EXISTS ${table("alert_claims")} (
  claim_key String,
  claimant String,
  claimed_at DateTime('UTC'),
  claimed_at_unix_ms UInt64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(claimed_at)
ORDER BY (claim_key, claimed_at, claimant)
${ttlClause(d, "claimed_at", 30)}`,
      `CREATE TABLE IF NOT EXISTS ${table("alert_notifications")} (
  incident_id String,
  event ${lc},
  rule ${lc},
  severity ${lc},
  subject String,
  sink String,
  sink_type ${lc},
  outcome ${lc},
  attempts UInt32,
  error String,
  sent_at DateTime('UTC'),
  sent_at_unix_ms UInt64,
  collector_id String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(sent_at)
ORDER BY (incident_id, sent_at)
${ttlClause(d, "sent_at", Math.max(o.retentionDays, 365))}`,
    ];
  },
};
