import { StoreError } from "../store/clickhouse/store.js";

/** Limits on one analyst query (`spamtrace sql`, `/api/sql`), from `admin.query.*`. */
export interface QueryLimits {
  /** Longest run, ms (`admin.query.maxExecutionTimeMs`). */
  maxExecutionTimeMs: number;
  /** Most memory one query may use, bytes (`admin.query.maxMemoryBytes`). */
  maxMemoryBytes: number;
}

/** Default `admin.query.maxExecutionTimeMs`: below the default `store.requestTimeoutMs` (30 s), above the 9.7 s a 15-billion-row scan takes here. */
export const DEFAULT_QUERY_MAX_EXECUTION_TIME_MS = 20_000;
/** Default `admin.query.maxMemoryBytes`: 1 GiB. */
export const DEFAULT_QUERY_MAX_MEMORY_BYTES = 1024 ** 3;

/** ClickHouse error codes for the two limits (TOO_SLOW: the engine's early estimate says the time limit cannot be met). */
const TIMEOUT_EXCEEDED = 159;
const TOO_SLOW = 160;
const MEMORY_LIMIT_EXCEEDED = 241;

/**
 * The limits as ClickHouse settings, the same on both stores.
 * `max_execution_time` is whole seconds, rounded up: ClickHouse 18.16
 * truncates a fraction (0.5 would mean no limit at all).
 * `timeout_overflow_mode=throw` so that a user profile set to `break` cannot
 * turn the cut-off into a silently partial answer.
 */
export function limitSettings(limits: QueryLimits): Record<string, string> {
  return {
    max_execution_time: String(Math.ceil(limits.maxExecutionTimeMs / 1000)),
    max_memory_usage: String(limits.maxMemoryBytes),
    timeout_overflow_mode: "throw",
  };
}

/**
 * Turns ClickHouse's limit errors into one that names the limit and the
 * config key that sets it; any other error is returned unchanged.
 */
export function explainLimitError(error: unknown, limits: QueryLimits): unknown {
  const code = error instanceof StoreError ? error.code : codeOf(error);
  if (code === TIMEOUT_EXCEEDED || code === TOO_SLOW) {
    return new Error(
      `query stopped: it would run longer than the analyst query time limit admin.query.maxExecutionTimeMs = ${limits.maxExecutionTimeMs} ms ` +
        "(narrow it with a WHERE on time or host, or raise the limit in the collector's config)",
      { cause: error },
    );
  }
  if (code === MEMORY_LIMIT_EXCEEDED) {
    return new Error(
      `query stopped: it needed more memory than the analyst query memory limit admin.query.maxMemoryBytes = ${limits.maxMemoryBytes} bytes ` +
        "(aggregate over fewer keys or a shorter time range, or raise the limit in the collector's config)",
      { cause: error },
    );
  }
  return error;
}

function codeOf(error: unknown): number | undefined {
  const match = /Code: (\d+)/.exec(error instanceof Error ? error.message : String(error));
  return match ? Number(match[1]) : undefined;
}
