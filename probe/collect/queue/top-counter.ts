import type { KeyCount } from "./queue-snapshot.js";

/** Distinct keys kept before pruning; a spam run with forged senders can have one per message. */
export const TOP_COUNTER_MAX_KEYS = 20_000;
/** Keys kept by a prune: far more than the 10 reported, so heavy hitters survive it. */
export const TOP_COUNTER_PRUNED_KEYS = 2_000;

/**
 * Counts keys and reports the top N with bounded memory. Exact until
 * maxKeys distinct keys; then the counts below the kept set are dropped,
 * which can only under-count keys that were rare when the prune happened.
 */
export class TopCounter {
  private readonly counts = new Map<string, number>();

  /** @param maxKeys distinct keys before a prune; @param keepKeys keys a prune keeps. */
  constructor(
    private readonly maxKeys = TOP_COUNTER_MAX_KEYS,
    private readonly keepKeys = TOP_COUNTER_PRUNED_KEYS,
  ) {}

  /** Adds n (default 1) to key. */
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
    if (this.counts.size > this.maxKeys) this.prune();
  }

  /** The n largest counts, most first, ties broken by key so snapshots are deterministic. */
  top(n: number): KeyCount[] {
    return this.sorted().slice(0, n);
  }

  private sorted(): KeyCount[] {
    return [...this.counts]
      .map(([key, count]) => ({ key, count }))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private prune(): void {
    const keep = this.sorted().slice(0, this.keepKeys);
    this.counts.clear();
    for (const { key, count } of keep) this.counts.set(key, count);
  }
}
