/** A row as sent to / read from ClickHouse in JSONEachRow format. */
export type Row = Record<string, unknown>;

/**
 * The one interface the collector stores through, implemented by the
 * embedded engine (chdb) and by a ClickHouse server (@clickhouse/client).
 * SQL text is the same for both; values reach SQL only through `bindSql`.
 */
export interface ClickHouseStore {
  /** "embedded" (chdb, in-process) or "server" (HTTP). */
  readonly kind: "embedded" | "server";
  /** Database holding spamtrace's tables. */
  readonly database: string;
  /** Runs a statement that returns no rows (DDL, ALTER, OPTIMIZE). */
  command(sql: string): Promise<void>;
  /** Inserts rows into a table of `database` in one INSERT. */
  insert(table: string, rows: readonly Row[]): Promise<void>;
  /** Runs a query and returns its rows; (U)Int64 values arrive as strings. */
  query<T = Row>(sql: string, opts?: QueryOptions): Promise<T[]>;
  /** Releases connections / the engine. */
  close(): Promise<void>;
}

/** How one query runs. */
export interface QueryOptions {
  /**
   * An analyst's query: ClickHouse's `readonly` setting forbids writes and
   * file access. The embedded store runs these on a connection of their own,
   * so a long one does not hold up inserts.
   */
  readonly?: boolean;
  /** ClickHouse settings for this query (numbers or plain words; e.g. the analyst limits). */
  settings?: Readonly<Record<string, string>>;
}

/** The server's version, e.g. "18.16.1" or "26.7.2.1" (the same query on both stores). */
export async function storeVersion(store: ClickHouseStore): Promise<string> {
  const rows = await store.query<{ v: string }>("SELECT version() AS v");
  return rows[0]?.v ?? "unknown";
}

/** An error from the store; `retryable` is false when retrying cannot help (bad SQL, bad data). */
export class StoreError extends Error {
  override name = "StoreError";
  constructor(
    message: string,
    /** ClickHouse error code when the server gave one (`Code: N`). */
    readonly code: number | undefined,
    /** True for connection failures and server overload; false for SQL or data errors. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Converts anything a ClickHouse call threw; matches `Code: N` because 18.16's errors are plain Errors. */
  static from(error: unknown, context: string): StoreError {
    if (error instanceof StoreError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const match = /Code: (\d+)/.exec(message);
    const code = match ? Number(match[1]) : undefined;
    // Codes that mean the statement or data is wrong: retrying the same request cannot succeed.
    const permanent = new Set([6, 26, 27, 32, 36, 38, 41, 43, 44, 46, 47, 53, 60, 62, 69, 70, 73, 76, 81, 115, 117, 164, 215, 386, 497]);
    const retryable = code === undefined || !permanent.has(code);
    return new StoreError(`${context}: ${message.split("\n")[0]}`, code, retryable, { cause: error });
  }
}
