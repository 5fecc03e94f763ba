import type { ClickHouseStore, Row } from "./clickhouse/store.js";

/** How large one merged INSERT may grow. */
export interface InsertBatcherOptions {
  /** Most rows in one INSERT. */
  maxRows: number;
  /**
   * Least time between the starts of two INSERTs into one table, ms (default
   * 0). Rows arriving meanwhile wait and join the next INSERT: at thousands of
   * probes this bounds the INSERTs (and MergeTree parts) to a few per second
   * per table, whatever the number of streams.
   */
  minIntervalMs?: number;
}

interface Waiter {
  rows: readonly Row[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface TableQueue {
  waiting: Waiter[];
  inFlight: boolean;
  /** When the last INSERT started (ms). */
  lastStart: number;
  /** A delayed start is scheduled. */
  timer: boolean;
}

/**
 * Group commit per table: rows from many probe streams that arrive while an
 * INSERT into the same table is running are merged into the next INSERT. A
 * thousand probes each sending a small batch every few seconds would
 * otherwise make a thousand tiny inserts (and MergeTree parts) a second,
 * while a lone probe still gets its rows written at once. Each caller's
 * promise settles with the INSERT that carried its rows, so a batch is still
 * acknowledged only after ClickHouse accepted it.
 */
export class InsertBatcher {
  private readonly tables = new Map<string, TableQueue>();

  constructor(
    private readonly store: ClickHouseStore,
    private readonly opts: InsertBatcherOptions,
  ) {}

  /** Queues rows for `table`; resolves once they are stored. */
  write(table: string, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let queue = this.tables.get(table);
      if (!queue) this.tables.set(table, (queue = { waiting: [], inFlight: false, lastStart: 0, timer: false }));
      queue.waiting.push({ rows, resolve, reject });
      // Writes issued in the same tick join the first INSERT.
      if (!queue.inFlight && !queue.timer && queue.waiting.length === 1) setImmediate(() => this.next(table, queue));
    });
  }

  private next(table: string, queue: TableQueue): void {
    if (queue.inFlight || queue.timer || queue.waiting.length === 0) return;
    const wait = queue.lastStart + (this.opts.minIntervalMs ?? 0) - Date.now();
    if (wait > 0) {
      queue.timer = true;
      setTimeout(() => {
        queue.timer = false;
        this.next(table, queue);
      }, wait);
      return;
    }
    queue.lastStart = Date.now();
    const taken: Waiter[] = [];
    let count = 0;
    while (queue.waiting.length > 0 && (taken.length === 0 || count + queue.waiting[0]!.rows.length <= this.opts.maxRows)) {
      const waiter = queue.waiting.shift()!;
      taken.push(waiter);
      count += waiter.rows.length;
    }
    queue.inFlight = true;
    this.store
      .insert(table, taken.length === 1 ? taken[0]!.rows : taken.flatMap((w) => w.rows))
      .then(
        () => taken.forEach((w) => w.resolve()),
        (error: unknown) => taken.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        queue.inFlight = false;
        this.next(table, queue);
      });
  }
}
