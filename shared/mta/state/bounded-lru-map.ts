/** Default number of in-flight messages a correlator remembers. */
export const DEFAULT_MAX_TRACKED_MESSAGES = 100_000;

/**
 * A Map that keeps at most `maxEntries`, evicting the least recently used:
 * correlation state per queue id must stay bounded when a log loses the
 * `removed` lines (rotation, restarts, partial files). Uses Map insertion
 * order: a hit moves the key to the end.
 */
export class BoundedLruMap<K, V> {
  private readonly map = new Map<K, V>();
  /** Entries dropped because the map was full. */
  evicted = 0;

  constructor(readonly maxEntries: number = DEFAULT_MAX_TRACKED_MESSAGES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries ${maxEntries} must be an integer >= 1`);
  }

  /** Number of entries held. */
  get size(): number {
    return this.map.size;
  }

  /** Value for key (marking it recently used), or undefined. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  /** Value for key without changing its age. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Stores value as most recently used, evicting the oldest entry when full. */
  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) {
        this.map.delete(oldest.value);
        this.evicted++;
      }
    }
    this.map.set(key, value);
  }

  /** Removes key; true when it was there. */
  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Drops everything. */
  clear(): void {
    this.map.clear();
  }
}
