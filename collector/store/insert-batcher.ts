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
  /**
   * A write of at least this many rows is a lane of its own (default
   * SOLO_ROWS): it is inserted alone, beside the table's shared INSERTs, never
   * merged into them. One probe sending maximal batches (a flood, or a long
   * backlog) then neither makes everyone's INSERT larger nor holds the table's
   * queue while its rows are sent.
   */
  soloRows?: number;
}

/** Default soloRows: a busy host's batch is a few hundred rows per table; 5,000 is a backlog or a flood. */
export const SOLO_ROWS = 5_000;

interface Waiter {
  rows: readonly Row[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface TableQueue {
  table: string;
  /** The solo lane: one write per INSERT. */
  solo: boolean;
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
 * acknowledged only after ClickHouse accepted it. Large writes (soloRows)
 * have a lane of their own per table.
 */
export class InsertBatcher {
  /** Per table, the shared lane and the solo lane. */
  private readonly lanes = new Map<string, TableQueue>();

  constructor(
    private readonly store: ClickHouseStore,
    private readonly opts: InsertBatcherOptions,
  ) {}

  /** Queues rows for `table`; resolves once they are stored. */
  write(table: string, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const solo = rows.length >= (this.opts.soloRows ?? SOLO_ROWS);
    const key = `${solo ? "solo" : "shared"}:${table}`;
    return new Promise<void>((resolve, reject) => {
      let queue = this.lanes.get(key);
      if (!queue) this.lanes.set(key, (queue = { table, solo, waiting: [], inFlight: false, lastStart: 0, timer: false }));
      queue.waiting.push({ rows, resolve, reject });
      // Writes issued in the same tick join the first INSERT.
      if (!queue.inFlight && !queue.timer && queue.waiting.length === 1) setImmediate(() => this.next(queue));
    });
  }

  private next(queue: TableQueue): void {
    if (queue.inFlight || queue.timer || queue.waiting.length === 0) return;
    const wait = queue.lastStart + (this.opts.minIntervalMs ?? 0) - Date.now();
    if (wait > 0) {
      queue.timer = true;
      setTimeout(() => {
        queue.timer = false;
        this.next(queue);
      }, wait);
      return;
    }
    queue.lastStart = Date.now();
    const taken: Waiter[] = [];
    let count = 0;
    const maxRows = queue.solo ? 0 : this.opts.maxRows;
    while (queue.waiting.length > 0 && (taken.length === 0 || count + queue.waiting[0]!.rows.length <= maxRows)) {
      const waiter = queue.waiting.shift()!;
      taken.push(waiter);
      count += waiter.rows.length;
    }
    queue.inFlight = true;
    this.store
      .insert(queue.table, taken.length === 1 ? taken[0]!.rows : taken.flatMap((w) => w.rows))
      .then(
        () => taken.forEach((w) => w.resolve()),
        (error: unknown) => taken.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        queue.inFlight = false;
        this.next(queue);
      });
  }
}
