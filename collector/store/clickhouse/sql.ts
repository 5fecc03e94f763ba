import { sqlLiteral } from "./sql-literal.js";

/**
 * `(v1, v2, ...)` for `x IN (...)`, every value bound as a literal.
 * ClickHouse 18.16 refuses an array literal on the right of IN ("Type
 * mismatch in IN or VALUES section"), so this is a tuple; never empty.
 */
export function inList(values: readonly (string | number)[]): string {
  if (values.length === 0) throw new RangeError("inList needs at least one value");
  return `(${values.map((v) => sqlLiteral(v)).join(", ")})`;
}

/**
 * `toDateTime(<unix seconds>)` for comparisons with DateTime columns: an
 * integer is time-zone independent, unlike a 'YYYY-MM-DD hh:mm:ss' string,
 * which the server reads in its own time zone. Keeps partition pruning on.
 */
export function dateTimeAt(unixMs: number): string {
  return `toDateTime(${Math.floor(unixMs / 1000)})`;
}

/** A ClickHouse number that 18.16 returns as a JSON string for (U)Int64 and chdb as a number. */
export function num(value: unknown): number {
  const n = typeof value === "number" ? value : Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** A string array column value (an empty array for anything else). */
export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * Statements that only read, by their first word (after any leading blanks
 * are trimmed): the analysts' gate (`checkReadOnlySql`) and the store's retry
 * on a dropped connection both go by it.
 */
export const READ_ONLY_START = /^(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i;
