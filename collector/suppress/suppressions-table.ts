import { randomBytes } from "node:crypto";
import { toClickHouseDateTime } from "../store/clickhouse/datetime.js";
import { num } from "../store/clickhouse/sql.js";
import { sqlLiteral, tableName } from "../store/clickhouse/sql-literal.js";
import type { Row } from "../store/clickhouse/store.js";
import type { Suppression, SuppressionScope } from "./suppression.js";

/** Reading and writing rows: the store itself, or the running collector's admin endpoint in embedded mode. */
export interface SuppressionIo {
  query(sql: string): Promise<Row[]>;
  insert(table: "suppressions", rows: Row[]): Promise<void>;
}

/**
 * SQL of the current suppressions of the table (one read-only statement, so
 * it can go through /api/sql): the newest version of each id, without the
 * removed ones; `activeAtMs` also leaves out the expired ones.
 */
export function suppressionsSql(database: string, opts: { activeAtMs?: number; id?: string } = {}): string {
  const expiry = (opts.activeAtMs === undefined ? "" : ` AND expires_ms > ${Math.floor(opts.activeAtMs)}`) + (opts.id === undefined ? "" : ` AND id = ${sqlLiteral(opts.id)}`);
  return `SELECT id, argMax(rule, version) AS rule, argMax(scope, version) AS scope, argMax(value, version) AS value,
  argMax(reason, version) AS reason, argMax(expires_at_unix_ms, version) AS expires_ms,
  argMax(created_by, version) AS created_by, argMax(created_at_unix_ms, version) AS created_ms
FROM ${tableName(database, "suppressions")}
GROUP BY id
HAVING argMax(removed, version) = 0${expiry}
ORDER BY expires_ms`;
}

/** A row of {@link suppressionsSql} as a suppression. */
export function fromSuppressionRow(r: Row): Suppression {
  return {
    id: String(r.id),
    rule: String(r.rule),
    scope: String(r.scope) as SuppressionScope,
    value: String(r.value),
    reason: String(r.reason),
    expiresAtMs: num(r.expires_ms),
    source: "table",
    createdBy: String(r.created_by),
    createdAtMs: num(r.created_ms),
  };
}

/** The table's current suppressions. */
export async function readSuppressions(io: Pick<SuppressionIo, "query">, database: string, opts: { activeAtMs?: number; id?: string } = {}): Promise<Suppression[]> {
  return (await io.query(suppressionsSql(database, opts))).map(fromSuppressionRow);
}

/** A new suppression id: short, random, typed back by hand (`spamtrace suppress remove <id>`). */
export function newSuppressionId(): string {
  return `sup-${randomBytes(4).toString("hex")}`;
}

/** The `suppressions` row of a version of `s` (removed = 1 ends it). */
export function toSuppressionRow(s: Omit<Suppression, "source">, removed: boolean, versionMs: number): Row {
  return {
    id: s.id,
    rule: s.rule,
    scope: s.scope,
    value: s.value,
    reason: s.reason,
    expires_at: toClickHouseDateTime(Math.min(s.expiresAtMs, 4_294_967_295_000)),
    expires_at_unix_ms: s.expiresAtMs,
    created_by: s.createdBy,
    created_at_unix_ms: s.createdAtMs,
    removed: removed ? 1 : 0,
    version: versionMs,
  };
}

/** Ends table suppression `id` now; false when the table has no current suppression with that id. */
export async function removeSuppression(io: SuppressionIo, database: string, id: string, nowMs: number): Promise<boolean> {
  const current = (await readSuppressions(io, database, { id }))[0];
  if (current === undefined) return false;
  await io.insert("suppressions", [toSuppressionRow(current, true, nowMs)]);
  return true;
}
