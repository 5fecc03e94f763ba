import type { CollectorConfig } from "../config/collector-config.js";
import { readAdminToken } from "../admin/admin-token.js";
import { openStore } from "../store/open-store.js";
import type { Row } from "../store/clickhouse/store.js";
import { checkReadOnlySql } from "../admin/check-read-only-sql.js";
import { explainLimitError, limitSettings } from "../admin/query-limits.js";

/**
 * Runs an analyst's read-only query against the configured store. With a
 * ClickHouse server it connects directly; in embedded mode the data folder
 * belongs to the running collector, so the query goes to its admin endpoint.
 * Either way the query runs under `admin.query.*` (time and memory limits).
 */
export async function runSql(config: CollectorConfig, sql: string): Promise<Row[]> {
  const statement = checkReadOnlySql(sql);
  if (config.store.url !== undefined) {
    const store = await openStore(config.store);
    try {
      return await store.query(statement, { readonly: true, settings: limitSettings(config.admin.query) });
    } catch (error) {
      throw explainLimitError(error, config.admin.query);
    } finally {
      await store.close();
    }
  }
  const host = config.admin.host === "0.0.0.0" ? "127.0.0.1" : config.admin.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${config.admin.port}/api/sql`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${readAdminToken(config.admin.tokenFile)}`, "content-type": "application/json" },
      body: JSON.stringify({ query: statement }),
    });
  } catch (error) {
    throw new Error(`cannot reach the collector's admin endpoint ${url} (embedded store: is \`spamtrace serve\` running?): ${(error as Error).message}`);
  }
  const body = (await response.json()) as { rows?: Row[]; error?: string };
  if (!response.ok || !body.rows) throw new Error(body.error ?? `admin endpoint answered HTTP ${response.status}`);
  return body.rows;
}

/** Formats rows as an aligned text table. */
export function formatRows(rows: readonly Row[]): string {
  if (rows.length === 0) return "(0 rows)\n";
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((c) => (typeof row[c] === "string" ? (row[c] as string) : JSON.stringify(row[c]))));
  const widths = columns.map((c, i) => Math.min(80, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
  const line = (values: string[]): string => values.map((v, i) => (v.length > 80 ? `${v.slice(0, 77)}...` : v).padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n") + `\n(${rows.length} rows)\n`;
}
