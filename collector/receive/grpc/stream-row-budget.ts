/** A probe stream's share of the collector: rows per second, with a burst for a backlog after an outage. */
export interface StreamRowBudgetSettings {
  /** Rows a stream may have stored per second on average; 0: no limit. */
  rowsPerSecond: number;
  /** Rows a stream may have stored at once before pacing starts (a reconnecting probe's backlog). */
  burstRows: number;
}

/**
 * Token bucket of one probe stream. After each stored batch the stream
 * spends its rows; when the bucket is in debt the handler waits before it
 * reads the stream's next message, so HTTP/2 flow control holds that probe
 * back (its batches wait in its own disk spool) while the other streams'
 * batches go on being stored and acknowledged. A busy host sends a few
 * hundred rows a second; a probe flooding maximal batches is paced to the
 * rate instead of taking the INSERTs, the CPU and the memory of everyone.
 */
export class StreamRowBudget {
  private tokens: number;
  private last: number;

  constructor(
    private readonly settings: StreamRowBudgetSettings,
    nowMs: number = Date.now(),
  ) {
    this.tokens = settings.burstRows;
    this.last = nowMs;
  }

  /** Spends `rows`; returns how long the stream must wait before its next message, ms (0: at once). */
  spend(rows: number, nowMs: number = Date.now()): number {
    const { rowsPerSecond, burstRows } = this.settings;
    if (rowsPerSecond <= 0) return 0;
    this.tokens = Math.min(burstRows, this.tokens + (Math.max(0, nowMs - this.last) / 1000) * rowsPerSecond);
    this.last = nowMs;
    this.tokens -= rows;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / rowsPerSecond) * 1000);
  }
}
