import { formatTable } from "../../shared/cli/format-table.js";
import type { CollectorConfig } from "../config/collector-config.js";
import { postToCollector } from "../admin/admin-client.js";
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
  const body = await postToCollector<{ rows?: Row[] }>(config, "/api/sql", { query: statement });
  if (!body.rows) throw new Error("admin endpoint answered without rows");
  return body.rows;
}

/** Formats rows as an aligned text table. */
export function formatRows(rows: readonly Row[]): string {
  if (rows.length === 0) return "(0 rows)\n";
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((c) => (typeof row[c] === "string" ? (row[c] as string) : JSON.stringify(row[c]))));
  return formatTable(columns, cells, { rule: true, maxCellChars: 80 }) + `(${rows.length} rows)\n`;
}
