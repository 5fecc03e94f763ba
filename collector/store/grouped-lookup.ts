/**
 * Group lookup: keys asked for by many probe streams while a query runs are
 * answered together by the next query, as InsertBatcher merges inserts. Ten
 * thousand probes reconnecting at once would otherwise make ten thousand
 * small queries (what each stream has stored, whether its first batch is
 * half-stored), each waiting for one of the store's few connections; grouped,
 * they are a few dozen queries of a few hundred keys.
 */
export class GroupedLookup<K, V> {
  private waiting: { key: K; resolve: (value: V) => void; reject: (error: unknown) => void }[] = [];
  private inFlight = false;

  constructor(
    /** Answers a group of keys; a key missing from the result gets `absent`. */
    private readonly run: (keys: readonly K[]) => Promise<ReadonlyMap<string, V>>,
    /** The map key of a key (the same text `run` uses in its result). */
    private readonly id: (key: K) => string,
    private readonly opts: { maxKeys: number; absent: V },
  ) {}

  /** The value for `key`, from the next group query. */
  get(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.waiting.push({ key, resolve, reject });
      // Asks made in the same tick join the first query.
      if (!this.inFlight && this.waiting.length === 1) setImmediate(() => this.next());
    });
  }

  private next(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    const taken = this.waiting.splice(0, this.opts.maxKeys);
    this.inFlight = true;
    const unique = [...new Map(taken.map((w) => [this.id(w.key), w.key])).values()];
    this.run(unique)
      .then(
        (found) => taken.forEach((w) => w.resolve(found.has(this.id(w.key)) ? found.get(this.id(w.key))! : this.opts.absent)),
        (error: unknown) => taken.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        this.inFlight = false;
        this.next();
      });
  }
}
