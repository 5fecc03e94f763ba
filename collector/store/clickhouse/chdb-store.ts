import { mkdirSync } from "node:fs";
import { Session } from "chdb";
import type { ClickHouseStore, QueryOptions, Row } from "./store.js";
import { StoreError } from "./store.js";
import { qualifiedTable, quoteIdentifier, quoteString } from "./sql-literal.js";

/**
 * The embedded store: ClickHouse running inside this process (chdb), data in
 * one folder. Only async calls are used, because chdb's sync `query()`
 * blocks the event loop for the whole query (notes/toolchain-facts.md).
 * One process per folder: a second opener fails with "Cannot lock file".
 *
 * chdb runs one query at a time per connection: an analyst's query on the
 * connection that inserts would hold every probe batch's INSERT until it
 * ends (measured: an INSERT waited 3.9 s behind a 4 s query). So analyst
 * (read-only) queries get a second connection to the same folder, which
 * chdb runs in parallel with the first.
 */
export class ChdbStore implements ClickHouseStore {
  readonly kind = "embedded";
  /** Connection for read-only analyst queries, opened on first use. */
  private analystSession: Promise<Session> | undefined;
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

  async query<T = Row>(sql: string, opts?: QueryOptions): Promise<T[]> {
    const settings = { ...opts?.settings, ...(opts?.readonly ? { readonly: "1" } : {}) };
    const text = withSettings(sql, settings);
    let body: string;
    try {
      const session = opts?.readonly ? await this.openAnalystSession() : this.session;
      body = (await session.queryAsync(text, { format: "JSONEachRow" })).text();
    } catch (error) {
      throw StoreError.from(error, "embedded ClickHouse query failed");
    }
    return body
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as T);
  }

  async close(): Promise<void> {
    const analyst = this.analystSession;
    this.analystSession = undefined;
    if (analyst) (await analyst.catch(() => undefined))?.close();
    this.session.close();
  }

  private openAnalystSession(): Promise<Session> {
    this.analystSession ??= (async () => {
      // Same folder: chdb shares the engine and data between connections of one path.
      const session = new Session(this.dataDir, { installSignalHandlers: false });
      // Session state (the current database) is per connection.
      await session.queryAsync(`USE ${quoteIdentifier(this.database)}`);
      return session;
    })().catch((error: unknown) => {
      this.analystSession = undefined;
      throw error;
    });
    return this.analystSession;
  }
}

// chdb takes no per-query settings object, so settings are a SETTINGS clause
// (only on SELECT/WITH, where ClickHouse accepts one). readonly comes last:
// once it is on, the query may change no further setting. It also forbids
// table functions such as file() that would read local files.
function withSettings(sql: string, settings: Readonly<Record<string, string>>): string {
  const entries = Object.entries(settings);
  if (entries.length === 0) return sql;
  const trimmed = sql.trim().replace(/;\s*$/, "");
  if (!/^\s*(SELECT|WITH)\b/i.test(trimmed)) return trimmed;
  const ordered = [...entries.filter(([k]) => k !== "readonly"), ...entries.filter(([k]) => k === "readonly")];
  return `${trimmed}\nSETTINGS ${ordered.map(([k, v]) => `${settingName(k)} = ${settingValue(v)}`).join(", ")}`;
}

function settingName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new StoreError(`invalid setting name ${JSON.stringify(name)}`, undefined, false);
  return name;
}

function settingValue(value: string): string {
  return /^\d+(\.\d+)?$/.test(value) ? value : quoteString(value);
}
