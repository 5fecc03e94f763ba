import type { Row } from "../store/clickhouse/store.js";

// Columns of the two remediation tables and the JavaScript type each takes
// (migrations-remediation.ts). The admin endpoint accepts rows for these
// tables only, with exactly these columns: it is how `spamtrace remediate`
// writes in embedded mode, and must not become a general INSERT.
const COLUMNS = {
  remediation_plans: { plan_id: "string", incident_id: "string", rule: "string", host_id: "string", mta: "string", target: "string", created_at: "string", created_at_unix_ms: "number", created_by: "string", plan_json: "string" },
  remediation_actions: { plan_id: "string", incident_id: "string", host_id: "string", target: "string", kind: "string", step: "number", action: "string", actor: "string", command: "string", exit_code: "number", stdout: "string", stderr: "string", started_at: "string", started_at_unix_ms: "number", duration_ms: "number" },
} as const;

/** The tables `spamtrace remediate` writes. */
export type RemediationTable = keyof typeof COLUMNS;

/** Checks a {table, rows} request body; returns it typed or throws naming what is wrong. */
export function checkRemediationRows(body: unknown): { table: RemediationTable; rows: Row[] } {
  const { table, rows } = (body ?? {}) as { table?: unknown; rows?: unknown };
  if (table !== "remediation_plans" && table !== "remediation_actions") throw new TypeError("table must be remediation_plans or remediation_actions");
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > 1000) throw new TypeError("rows must be an array of 1..1000 rows");
  const columns: Record<string, string> = COLUMNS[table];
  for (const [i, row] of rows.entries()) {
    if (typeof row !== "object" || row === null || Array.isArray(row)) throw new TypeError(`rows[${i}] must be an object`);
    const keys = Object.keys(row as object);
    const extra = keys.filter((k) => !(k in columns));
    const missing = Object.keys(columns).filter((k) => !keys.includes(k));
    if (extra.length || missing.length) throw new TypeError(`rows[${i}] of ${table}: ${extra.length ? `unknown columns ${extra.join(", ")}` : ""}${extra.length && missing.length ? "; " : ""}${missing.length ? `missing columns ${missing.join(", ")}` : ""}`);
    for (const [k, v] of Object.entries(row as Row)) if (typeof v !== columns[k]) throw new TypeError(`rows[${i}].${k} must be a ${columns[k]}`);
  }
  return { table, rows: rows as Row[] };
}
