/** Default number of in-flight messages a correlator remembers. */
export const DEFAULT_MAX_TRACKED_MESSAGES = 100_000;

/**
 * Log time after which a queue id none of whose lines came is forgotten: its
 * `removed` (Postfix), `Completed` (Exim) or `end msg` (qmail) line was lost
 * (rotation, a partial file, a restart). A message still queued is mentioned
 * on every retry: Postfix retries at least every maximal_backoff_time (4,000 s
 * by default), Exim's default retry rule at least every 6 h. Held (Postfix
 * `postsuper -h`) or frozen (Exim) messages released after a day lose their
 * sender identity. Without this, lost messages filled the 100,000 entries a
 * parser keeps, ~60 MB of heap for `spamtrace parse-log` and the probe alike.
 */
export const MESSAGE_IDLE_EXPIRY_MS = 24 * 3_600_000;

/** Options of BoundedLruMap. */
export interface BoundedLruMapOptions {
  /**
   * Forget entries not stored or read (get, peek) for this long in the time
   * given to advance() (log time: the map is fed lines, not the clock);
   * default never.
   */
  idleExpiryMs?: number;
}

interface Entry<V> {
  value: V;
  /** Value of `clock` when the entry last moved to the young end of the map. */
  stamp: number;
  /** The advance() minute when the entry was last stored or read (idle expiry). */
  touched: number;
}

/** Idle expiry sweeps the map when time has advanced by this share of idleExpiryMs since the last sweep. */
const SWEEPS_PER_EXPIRY = 8;

/**
 * A Map that keeps at most `maxEntries`, evicting the least recently used:
 * correlation state per queue id must stay bounded when a log loses the
 * `removed` lines (rotation, restarts, partial files). Uses Map insertion
 * order, the oldest entry first. A read moves its entry to the young end
 * only when at least maxEntries/2 moves happened since the entry last moved,
 * so most reads cost one lookup, and an entry is never evicted before
 * maxEntries/2 other entries were stored or moved after its last use.
 */
export class BoundedLruMap<K, V> {
  private readonly map = new Map<K, Entry<V>>();
  private readonly refreshAfter: number;
  private clock = 0;
  /**
   * A key iterator kept across evictions. V8 walks a Map from the start of its
   * table, over the holes deleted entries leave until the next rehash, so a
   * fresh `keys().next()` per eviction costs up to tens of microseconds once
   * the map is full; this iterator sits on the oldest live entry (every key
   * before it was evicted), so each eviction costs one step.
   */
  private oldest: Iterator<K> | null = null;
  /** Entries dropped because the map was full. */
  evicted = 0;
  /** Entries dropped by idle expiry. */
  expired = 0;
  /** Idle expiry in minutes (Infinity: none). */
  private readonly idleMinutes: number;
  /** Latest advance() time, in minutes since the epoch (0: none yet). */
  private minute = 0;
  private nextSweepMinute = Infinity;
  /** Minutes between sweeps: SWEEPS_PER_EXPIRY per idle expiry. */
  private readonly sweepEveryMinutes: number;

  constructor(
    readonly maxEntries: number = DEFAULT_MAX_TRACKED_MESSAGES,
    options: BoundedLruMapOptions = {},
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries ${maxEntries} must be an integer >= 1`);
    const idle = options.idleExpiryMs;
    if (idle !== undefined && !(idle >= 60_000)) throw new RangeError(`idleExpiryMs ${idle} must be at least 60000`);
    this.refreshAfter = Math.floor(maxEntries / 2);
    this.idleMinutes = idle === undefined ? Infinity : Math.ceil(idle / 60_000);
    this.sweepEveryMinutes = Math.max(1, Math.floor(this.idleMinutes / SWEEPS_PER_EXPIRY));
  }

  /**
   * Moves the map's time to tsUnixMs (a log line's time; earlier times are
   * ignored) and, with idle expiry, now and then drops the entries idle for
   * longer than it. Call it before the line's reads and stores.
   */
  advance(tsUnixMs: number): void {
    if (this.idleMinutes === Infinity) return;
    const minute = Math.floor(tsUnixMs / 60_000);
    if (!(minute > this.minute)) return;
    if (this.minute === 0) {
      // Entries stored before any time was known count as touched at the first time.
      for (const entry of this.map.values()) entry.touched = minute;
      this.nextSweepMinute = minute + this.sweepEveryMinutes;
    } else if (minute >= this.nextSweepMinute) {
      this.sweep(minute - this.idleMinutes);
      this.nextSweepMinute = minute + this.sweepEveryMinutes;
    }
    this.minute = minute;
  }

  private sweep(cutoffMinute: number): void {
    for (const [key, entry] of this.map) {
      if (entry.touched < cutoffMinute) {
        this.map.delete(key);
        this.expired++;
      }
    }
  }

  /** Number of entries held. */
  get size(): number {
    return this.map.size;
  }

  /** Value for key (marking it recently used), or undefined. */
  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    entry.touched = this.minute;
    if (this.clock - entry.stamp >= this.refreshAfter) this.moveToYoungEnd(key, entry);
    return entry.value;
  }

  /** Value for key without changing its LRU age (it still counts as used for idle expiry). */
  peek(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    entry.touched = this.minute;
    return entry.value;
  }

  /** Stores value as most recently used, evicting the oldest entry when full. */
  set(key: K, value: V): void {
    const entry = this.map.get(key);
    if (entry !== undefined) {
      entry.value = value;
      entry.touched = this.minute;
      this.moveToYoungEnd(key, entry);
      return;
    }
    this.evictIfFull();
    this.map.set(key, { value, stamp: this.clock++, touched: this.minute });
  }

  private moveToYoungEnd(key: K, entry: Entry<V>): void {
    this.map.delete(key);
    entry.stamp = this.clock++;
    this.map.set(key, entry);
  }

  private evictIfFull(): void {
    if (this.map.size >= this.maxEntries) {
      let oldest = this.oldest?.next();
      if (oldest === undefined || oldest.done === true) {
        this.oldest = this.map.keys();
        oldest = this.oldest.next();
      }
      if (oldest.done !== true) {
        this.map.delete(oldest.value);
        this.evicted++;
      }
    }
  }

  /**
   * set() for a key the caller just looked up and did not find (get or peek
   * returned undefined): skips looking for it again. Storing a key that is
   * there would leave two entries, so only use it right after such a miss.
   */
  setAbsent(key: K, value: V): void {
    this.evictIfFull();
    this.map.set(key, { value, stamp: this.clock++, touched: this.minute });
  }

  /** Removes key; true when it was there. */
  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Drops everything. */
  clear(): void {
    this.map.clear();
    this.oldest = null;
  }
}
