/**
 * What the connected ClickHouse supports, from `SELECT version()`. The schema
 * is written in the subset 18.16 understands and gains newer features only
 * where the server has them (notes/clickhouse-18.16-facts.md).
 */
export interface Dialect {
  /** Server version as reported. */
  readonly version: string;
  /** `TTL` clauses (ClickHouse >= 19.6). */
  readonly ttl: boolean;
  /** LowCardinality without the experimental setting (>= 19.9). */
  readonly lowCardinality: boolean;
  /** `ADD COLUMN IF NOT EXISTS` (>= 19.3). */
  readonly addColumnIfNotExists: boolean;
}

/** Parses "18.16.1" / "26.7.2.1" into a Dialect. */
export function dialectFor(version: string): Dialect {
  const [major = 0, minor = 0] = version.split(".").map((part) => Number.parseInt(part, 10) || 0);
  const atLeast = (m: number, n: number): boolean => major > m || (major === m && minor >= n);
  return { version, ttl: atLeast(19, 6), lowCardinality: atLeast(19, 9), addColumnIfNotExists: atLeast(19, 3) };
}

/** A string column type: LowCardinality(String) where supported, String otherwise. */
export function lowCardinalityString(dialect: Dialect): string {
  return dialect.lowCardinality ? "LowCardinality(String)" : "String";
}

/** A table TTL clause dropping rows older than `days` of `column`, or "" where TTL is not supported. */
export function ttlClause(dialect: Dialect, column: string, days: number): string {
  return dialect.ttl && days > 0 ? `TTL ${column} + INTERVAL ${Math.floor(days)} DAY` : "";
}

/**
 * `ALTER TABLE … ADD COLUMN`, with IF NOT EXISTS where the server has it
 * (>= 19.3). 18.16 has not: there migrate() takes the server's "column with
 * this name already exists" answer to such a statement as done, so a re-run
 * after a crash or a racing collector stays harmless.
 */
export function addColumnStatement(dialect: Dialect, table: string, column: string, type: string, after?: string): string {
  const ifNotExists = dialect.addColumnIfNotExists ? "IF NOT EXISTS " : "";
  return `ALTER TABLE ${table} ADD COLUMN ${ifNotExists}${column} ${type}${after === undefined ? "" : ` AFTER ${after}`}`;
}

/** True when `error` is the answer of a server without IF NOT EXISTS to an ADD COLUMN of `statement` whose column is already there. */
export function isColumnAlreadyAdded(statement: string, error: unknown): boolean {
  const column = /^ALTER TABLE \S+ ADD COLUMN (?!IF NOT EXISTS )(\w+) /.exec(statement)?.[1];
  const message = error instanceof Error ? error.message : String(error);
  return column !== undefined && message.includes(`Cannot add column ${column}: column with this name already exists`);
}
