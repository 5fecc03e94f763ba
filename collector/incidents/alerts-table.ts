import type { EvidenceRow, RuleName } from "../vocabulary/finding.js";
import type { Severity } from "../vocabulary/severity.js";
import { inList, num, strings } from "../store/clickhouse/sql.js";
import { tableName } from "../store/clickhouse/sql-literal.js";
import { toClickHouseDateTime } from "../store/clickhouse/datetime.js";
import { sqlLiteral } from "../store/clickhouse/sql-literal.js";
import type { ClickHouseStore, Row } from "../store/clickhouse/store.js";
import type { Incident } from "./incident.js";

/** Columns of `alerts` in insert order (see migrations-alerts.ts; the suppression columns: migrations-suppressions.ts). */
export const ALERT_COLUMNS = [
  "incident_id", "incident_key", "rule", "scope", "scope_host", "subject", "severity", "status", "hosts", "summary",
  "opened_at", "opened_at_unix_ms", "first_seen_unix_ms", "last_seen_unix_ms", "updated_at_unix_ms", "resolved_at_unix_ms",
  "detections", "counts_json", "details_json", "evidence_json", "remediation", "previous_incident_id", "collector_id", "version",
  "suppression_id", "suppression_reason",
] as const;

/** The `alerts` row of an incident (every column: 18.16 gives omitted JSONEachRow keys zero values, not DEFAULTs). */
export function toAlertRow(i: Incident): Row {
  return {
    incident_id: i.id,
    incident_key: i.key,
    rule: i.rule,
    scope: i.scope,
    scope_host: i.scopeHost,
    subject: i.subject,
    severity: i.severity,
    status: i.status,
    hosts: i.hosts,
    summary: i.summary,
    opened_at: toClickHouseDateTime(i.openedAtMs),
    opened_at_unix_ms: i.openedAtMs,
    first_seen_unix_ms: i.firstSeenMs,
    last_seen_unix_ms: i.lastSeenMs,
    updated_at_unix_ms: i.updatedAtMs,
    resolved_at_unix_ms: i.resolvedAtMs,
    detections: i.detections,
    counts_json: JSON.stringify(i.counts),
    details_json: JSON.stringify(i.details),
    evidence_json: JSON.stringify(i.evidence),
    remediation: i.remediation,
    previous_incident_id: i.previousIncidentId,
    collector_id: i.collectorId,
    version: i.version,
    suppression_id: i.suppressionId,
    suppression_reason: i.suppressionReason,
  };
}

/** Reads an `alerts` row back (numbers normalised; JSON columns parsed, tolerating damage). */
export function fromAlertRow(r: Row): Incident {
  const evidence = parseJson<Incident["evidence"]>(r.evidence_json, { rows: [], sample_lines: [], queue_ids: [], message_ids: [] });
  return {
    id: String(r.incident_id),
    key: String(r.incident_key),
    rule: String(r.rule) as RuleName,
    scope: String(r.scope) === "fleet" ? "fleet" : "host",
    scopeHost: String(r.scope_host ?? ""),
    subject: String(r.subject),
    severity: String(r.severity) as Severity,
    status: String(r.status) === "resolved" ? "resolved" : "open",
    hosts: strings(r.hosts),
    summary: String(r.summary ?? ""),
    openedAtMs: num(r.opened_at_unix_ms),
    firstSeenMs: num(r.first_seen_unix_ms),
    lastSeenMs: num(r.last_seen_unix_ms),
    updatedAtMs: num(r.updated_at_unix_ms),
    resolvedAtMs: num(r.resolved_at_unix_ms),
    detections: num(r.detections),
    counts: parseJson<Record<string, number>>(r.counts_json, {}),
    details: parseJson<Record<string, unknown>>(r.details_json, {}),
    evidence: {
      rows: Array.isArray(evidence.rows) ? (evidence.rows as EvidenceRow[]) : [],
      sample_lines: strings(evidence.sample_lines),
      queue_ids: strings(evidence.queue_ids),
      message_ids: strings(evidence.message_ids),
    },
    remediation: strings(r.remediation),
    previousIncidentId: String(r.previous_incident_id ?? ""),
    collectorId: String(r.collector_id ?? ""),
    version: num(r.version),
    suppressionId: String(r.suppression_id ?? ""),
    suppressionReason: String(r.suppression_reason ?? ""),
  };
}

function parseJson<T>(value: unknown, fallback: T): T {
  if (typeof value !== "string" || value.length === 0) return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

/**
 * SQL selecting the current state of incidents, newest activity first, as
 * one read-only statement (so `spamtrace incidents` can send it through the
 * admin endpoint). The status/rule filter is decided per incident on its
 * newest version (argMax by version) over three small columns, then the
 * full rows of those ids are read with FINAL: a WHERE on status next to
 * FINAL could be moved to PREWHERE, before versions are collapsed, and
 * return an old "open" version of a resolved incident.
 */
export function incidentsSql(database: string, opts: { status?: "open" | "resolved"; rule?: string; limit?: number } = {}): string {
  const alerts = tableName(database, "alerts");
  const having = [
    ...(opts.status ? [`argMax(status, version) = ${sqlLiteral(opts.status)}`] : []),
    ...(opts.rule ? [`argMax(rule, version) = ${sqlLiteral(opts.rule)}`] : []),
  ];
  const filter = having.length > 0 ? `WHERE incident_id IN (SELECT incident_id FROM ${alerts} GROUP BY incident_id HAVING ${having.join(" AND ")})\n` : "";
  return `SELECT ${ALERT_COLUMNS.join(", ")}
FROM ${alerts} FINAL
${filter}ORDER BY last_seen_unix_ms DESC
LIMIT ${Math.floor(opts.limit ?? 1000)}`;
}

/** Current state of the incidents that match. */
export async function readIncidents(store: ClickHouseStore, opts: { status?: "open" | "resolved"; rule?: string; limit?: number } = {}): Promise<Incident[]> {
  return newestVersions((await store.query<Row>(incidentsSql(store.database, opts))).map(fromAlertRow));
}

/**
 * One incident per id, the highest version. FINAL already collapses versions
 * within a partition; two collectors that opened the same incident across a
 * month boundary (partition = month of the open time) leave two partitions.
 */
export function newestVersions(incidents: readonly Incident[]): Incident[] {
  const byId = new Map<string, Incident>();
  for (const i of incidents) {
    const prior = byId.get(i.id);
    if (prior === undefined || i.version > prior.version) byId.set(i.id, i);
  }
  return [...byId.values()];
}

/**
 * The newest *resolved* incident of each key, for chaining the next id. Open
 * incidents are left out on purpose: a collector that missed an incident
 * another collector opened a moment ago must derive the same id for it, not
 * chain a second one after it.
 */
export async function previousIncidentIds(store: ClickHouseStore, keys: readonly string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const alerts = tableName(store.database, "alerts");
  const rows = await store.query<Row>(
    `SELECT incident_key, argMax(incident_id, opened_at_unix_ms) AS previous_id
FROM ${alerts}
WHERE incident_key IN ${inList(keys)}
  AND incident_id IN (SELECT incident_id FROM ${alerts} WHERE incident_key IN ${inList(keys)} GROUP BY incident_id HAVING argMax(status, version) = 'resolved')
GROUP BY incident_key`,
  );
  return new Map(rows.map((r) => [String(r.incident_key), String(r.previous_id)]));
}

/** Writes incident versions in one INSERT. */
export async function writeIncidents(store: ClickHouseStore, incidents: readonly Incident[]): Promise<void> {
  await store.insert("alerts", incidents.map(toAlertRow));
}
