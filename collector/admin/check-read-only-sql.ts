import { READ_ONLY_START } from "../store/clickhouse/sql.js";

/**
 * Refuses anything but one read-only statement. This is a first gate with a
 * clear message; the store also runs the query with ClickHouse's own
 * `readonly` setting, which is what actually forbids writes and file access.
 * Returns the statement without a trailing semicolon.
 */
export function checkReadOnlySql(sql: string): string {
  const statement = stripComments(sql).trim().replace(/;\s*$/, "").trim();
  if (statement.length === 0) throw new Error("empty query");
  if (hasUnquotedSemicolon(statement)) throw new Error("only one statement per query");
  if (!READ_ONLY_START.test(statement)) {
    throw new Error("only read-only queries are allowed (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN)");
  }
  if (/\bSETTINGS\b/i.test(statement.replace(/'(?:[^'\\]|\\.)*'/g, "''"))) {
    throw new Error("a SETTINGS clause is not allowed in read-only queries");
  }
  return statement;
}

// Quote-aware: `--` and `/*` inside a literal (`has(argv, '--daemon')`) are data, not comments.
function stripComments(sql: string): string {
  let out = "";
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quote) {
      out += ch;
      if (ch === "\\" && i + 1 < sql.length) out += sql[++i];
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      quote = ch;
      out += ch;
    } else if (sql.startsWith("--", i) || sql.startsWith("/*", i)) {
      const end = ch === "-" ? sql.indexOf("\n", i) : sql.indexOf("*/", i + 2);
      if (end === -1 && ch === "/") return out + sql.slice(i); // unterminated: left for the server to refuse
      out += " ";
      i = end === -1 ? sql.length : ch === "-" ? end - 1 : end + 1;
    } else out += ch;
  }
  return out;
}

function hasUnquotedSemicolon(sql: string): boolean {
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    else if (ch === ";") return true;
  }
  return false;
}
