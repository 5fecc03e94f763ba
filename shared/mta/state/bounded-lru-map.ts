/** Default number of in-flight messages a correlator remembers. */
export const DEFAULT_MAX_TRACKED_MESSAGES = 100_000;

interface Entry<V> {
  value: V;
  /** Value of `clock` when the entry last moved to the young end of the map. */
  stamp: number;
}

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

  constructor(readonly maxEntries: number = DEFAULT_MAX_TRACKED_MESSAGES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries ${maxEntries} must be an integer >= 1`);
    this.refreshAfter = Math.floor(maxEntries / 2);
  }

  /** Number of entries held. */
  get size(): number {
    return this.map.size;
  }

  /** Value for key (marking it recently used), or undefined. */
  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (this.clock - entry.stamp >= this.refreshAfter) this.moveToYoungEnd(key, entry);
    return entry.value;
  }

  /** Value for key without changing its age. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Stores value as most recently used, evicting the oldest entry when full. */
  set(key: K, value: V): void {
    const entry = this.map.get(key);
    if (entry !== undefined) {
      entry.value = value;
      this.moveToYoungEnd(key, entry);
      return;
    }
    this.evictIfFull();
    this.map.set(key, { value, stamp: this.clock++ });
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
    this.map.set(key, { value, stamp: this.clock++ });
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
