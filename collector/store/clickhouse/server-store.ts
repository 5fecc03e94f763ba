import { createClient, type ClickHouseClient } from "@clickhouse/client";
import type { ClickHouseStore, QueryOptions, Row } from "./store.js";
import { StoreError } from "./store.js";
import { qualifiedTable, quoteIdentifier } from "./sql-literal.js";
import { READ_ONLY_START } from "./sql.js";

/** How to reach a ClickHouse server. */
export interface ServerStoreOptions {
  /** HTTP(S) URL, e.g. http://127.0.0.1:8123. */
  url: string;
  /** User name. */
  username: string;
  /** Password (from a file or the environment, never the command line). */
  password: string;
  /** Database for spamtrace's tables; created when missing. */
  database: string;
  /** Per-request timeout in milliseconds. */
  requestTimeoutMs: number;
  /** Settings sent with every request (e.g. insert_distributed_sync on a cluster); only ones 18.16 knows. */
  settings?: Readonly<Record<string, string | number>>;
}

/**
 * The server store: a ClickHouse server over HTTP with @clickhouse/client.
 * Works with 18.16 by sending only settings it knows and binding values on
 * the client (notes/clickhouse-18.16-facts.md).
 */
export class ServerStore implements ClickHouseStore {
  readonly kind = "server";
  private constructor(
    private readonly client: ClickHouseClient,
    readonly database: string,
  ) {}

  /** Connects, checks credentials with a real query, and creates the database. */
  static async open(opts: ServerStoreOptions): Promise<ServerStore> {
    // The database may not exist yet, and a client bound to a missing database fails every request.
    const bootstrap = new ServerStore(connect(opts), opts.database);
    try {
      await bootstrap.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(opts.database)}`);
    } finally {
      await bootstrap.close();
    }
    // Bound to the database, so analysts' unqualified names (`FROM socket_snapshots`) resolve there.
    return new ServerStore(connect(opts, opts.database), opts.database);
  }

  async command(sql: string): Promise<void> {
    try {
      await this.client.command({ query: sql });
    } catch (error) {
      throw StoreError.from(error, "ClickHouse command failed");
    }
  }

  async insert(table: string, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.client.insert({ table: qualifiedTable(this.database, table), values: rows as Row[], format: "JSONEachRow" });
    } catch (error) {
      throw StoreError.from(error, `ClickHouse insert into ${table} failed`);
    }
  }

  async query<T = Row>(sql: string, opts?: QueryOptions): Promise<T[]> {
    // readonly=2 forbids writes and file-reading table functions but still
    // lets the request carry settings (wait_end_of_query, the analyst limits);
    // analysts cannot change them because their SQL may carry no SETTINGS clause.
    const settings = { ...opts?.settings, ...(opts?.readonly ? { readonly: "2" } : {}) };
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.client.query({
          query: sql,
          format: "JSONEachRow",
          ...(Object.keys(settings).length > 0 ? { clickhouse_settings: settings } : {}),
        });
        return await result.json<T>();
      } catch (error) {
        // Only a statement that reads may be sent twice.
        if (attempt === 1 && isConnectionReset(error) && READ_ONLY_START.test(sql.trimStart())) continue;
        throw StoreError.from(error, "ClickHouse query failed");
      }
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * The server closed the keep-alive socket the request went out on ("socket
 * hang up", ECONNRESET, EPIPE): a reading query is sent once more, on a new
 * socket. Under load the client's idle timer fires late, so a socket the
 * server dropped after its keep_alive_timeout still gets reused; measured in
 * a 10,000-probe restart storm, where one such error failed the grouped
 * lookup of 500 reconnecting streams at once (bench/fleet/README.md).
 */
function isConnectionReset(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e !== null && typeof e === "object" && (e.code === "ECONNRESET" || e.code === "EPIPE" || (typeof e.message === "string" && /socket hang up/i.test(e.message)));
}

function connect(opts: ServerStoreOptions, database?: string): ClickHouseClient {
  return createClient({
    url: opts.url,
    username: opts.username,
    password: opts.password,
    ...(database === undefined ? {} : { database }),
    request_timeout: opts.requestTimeoutMs,
    // A socket the server closed after its keep_alive_timeout (3 s on 18.16)
    // and the client then reuses fails with "socket hang up": under load the
    // client's idle timer fires late, so stale sockets are also dropped at
    // reuse (measured: /api/sql and batch inserts failing at 1,000 probes).
    keep_alive: { idle_socket_ttl: 1500, eagerly_destroy_stale_sockets: true },
    // 18.16 sends mid-stream errors with HTTP 200; waiting for the end of
    // the query turns them into proper HTTP errors.
    clickhouse_settings: { ...opts.settings, wait_end_of_query: 1 },
  });
}
