import { lowCardinalityString, ttlClause } from "./dialect.js";
import type { Migration } from "./migrations.js";
import { tableName } from "./sql-literal.js";

/**
 * Migration 5: remediation plans as printed by `spamtrace remediate`
 * (`remediation_plans`: `--apply PLAN_ID` runs exactly the stored plan) and
 * the audit of every command run (`remediation_actions`). Kept at least a
 * year: they are the record of what was done to a customer's server.
 * Columns are documented in docs/clickhouse-schema.md.
 */
export const REMEDIATION_MIGRATION: Migration = {
  version: 5,
  name: "remediation_plans, remediation_actions",
  statements: (d, o) => {
    const lc = lowCardinalityString(d);
    const keep = Math.max(o.retentionDays, 365);
    return [
      `CREATE TABLE IF NOT EXISTS ${tableName(o.database, "remediation_plans")} (
  plan_id String,
  incident_id String,
  rule ${lc},
  host_id String,
  mta ${lc},
  target String,
  created_at DateTime('UTC'),
  created_at_unix_ms UInt64,
  created_by String,
  plan_json String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(created_at)
ORDER BY (plan_id, created_at)
${ttlClause(d, "created_at", keep)}`,
      `CREATE TABLE IF NOT EXISTS ${tableName(o.database, "remediation_actions")} (
  plan_id String,
  incident_id String,
  host_id String,
  target String,
  kind ${lc},
  step UInt16,
  action ${lc},
  actor String,
  command String,
  exit_code Int32,
  stdout String,
  stderr String,
  started_at DateTime('UTC'),
  started_at_unix_ms UInt64,
  duration_ms UInt32
) ENGINE = MergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (plan_id, started_at_unix_ms, step)
${ttlClause(d, "started_at", keep)}`,
    ];
  },
};
