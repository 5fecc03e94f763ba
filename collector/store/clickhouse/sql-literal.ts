/**
 * Client-side value binding. ClickHouse 18.16 has no server-side query
 * parameters (notes/clickhouse-18.16-facts.md), so every value that reaches
 * SQL text goes through these functions: strings are quoted with every
 * backslash, quote and control character escaped.
 */

/** A value that can be bound into SQL. */
export type SqlValue = string | number | bigint | boolean | null | readonly SqlValue[];

/** Quotes a string as a ClickHouse string literal. */
export function quoteString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}'`;
}

/** Renders a value as a SQL literal. */
export function sqlLiteral(value: SqlValue): string {
  if (value === null) return "NULL";
  if (typeof value === "string") return quoteString(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`cannot bind non-finite number ${value}`);
    return String(value);
  }
  return `[${value.map(sqlLiteral).join(", ")}]`;
}

/**
 * `database`.`table` for SQL text: every table name in a statement is built
 * here (migrations, the batch writer, detectors, incidents), both parts
 * checked as identifiers.
 */
export function tableName(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

/**
 * `database.table` without quotes, for the insert APIs only: chdb's insert
 * accepts `[A-Za-z0-9_]` parts separated by dots and refuses backticks, and
 * @clickhouse/client pastes the name into its INSERT as given. Both parts
 * pass the same identifier check as {@link tableName}.
 */
export function qualifiedTable(database: string, table: string): string {
  quoteIdentifier(database);
  quoteIdentifier(table);
  return `${database}.${table}`;
}

/** Quotes an identifier (database, table, column) with backticks. */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RangeError(`invalid identifier ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

/**
 * Replaces `{name}` placeholders with bound literals. A placeholder without
 * a value is an error, so a typo cannot leave a hole in the SQL.
 */
export function bindSql(sql: string, params: Readonly<Record<string, SqlValue>>): string {
  return sql.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    if (!Object.hasOwn(params, name)) throw new RangeError(`no value bound for {${name}}`);
    return sqlLiteral(params[name]!);
  });
}
