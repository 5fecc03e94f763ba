import { mkdirSync } from "node:fs";
import { Session } from "chdb";
import type { ClickHouseStore, Row } from "./store.js";
import { StoreError } from "./store.js";
import { qualifiedTable, quoteIdentifier } from "./sql-literal.js";

/**
 * The embedded store: ClickHouse running inside this process (chdb), data in
 * one folder. Only async calls are used, because chdb's sync `query()`
 * blocks the event loop for the whole query (notes/toolchain-facts.md).
 * One process per folder: a second opener fails with "Cannot lock file".
 */
export class ChdbStore implements ClickHouseStore {
  readonly kind = "embedded";
  private constructor(
    private readonly session: Session,
    readonly database: string,
    /** Folder holding the engine's data. */
    readonly dataDir: string,
  ) {}

  /** Opens (creating if needed) the data folder and the database. */
  static async open(dataDir: string, database: string): Promise<ChdbStore> {
    mkdirSync(dataDir, { recursive: true });
    let session: Session;
    try {
      // chdb's own signal handlers would swallow SIGINT/SIGTERM meant for our shutdown.
      session = new Session(dataDir, { installSignalHandlers: false });
    } catch (error) {
      throw StoreError.from(error, `cannot open embedded ClickHouse data folder ${dataDir}`);
    }
    const store = new ChdbStore(session, database, dataDir);
    await store.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}`);
    // Analysts write `FROM socket_snapshots` (admin /api/sql); the session keeps its current database.
    await store.command(`USE ${quoteIdentifier(database)}`);
    return store;
  }

  async command(sql: string): Promise<void> {
    try {
      await this.session.queryAsync(sql);
    } catch (error) {
      throw StoreError.from(error, "embedded ClickHouse command failed");
    }
  }

  async insert(table: string, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const payload = Buffer.from(rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
    try {
      await this.session.insert({ table: qualifiedTable(this.database, table), values: payload, format: "JSONEachRow" });
    } catch (error) {
      throw StoreError.from(error, `embedded ClickHouse insert into ${table} failed`);
    }
  }

  async query<T = Row>(sql: string, opts?: { readonly?: boolean }): Promise<T[]> {
    const text = opts?.readonly ? withReadonlySetting(sql) : sql;
    let body: string;
    try {
      body = (await this.session.queryAsync(text, { format: "JSONEachRow" })).text();
    } catch (error) {
      throw StoreError.from(error, "embedded ClickHouse query failed");
    }
    return body
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as T);
  }

  async close(): Promise<void> {
    this.session.close();
  }
}

// chdb takes no per-query settings object, so read-only is a SETTINGS clause;
// it also forbids table functions such as file() that would read local files.
function withReadonlySetting(sql: string): string {
  const trimmed = sql.trim().replace(/;\s*$/, "");
  if (!/^\s*(SELECT|WITH)\b/i.test(trimmed)) return trimmed;
  return `${trimmed}\nSETTINGS readonly = 1`;
}
