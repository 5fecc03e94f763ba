import { describe, expect, it } from "vitest";
import { BoundedLruMap } from "./bounded-lru-map.js";

describe("BoundedLruMap", () => {
  it("evicts the least recently used entry when full", () => {
    const m = new BoundedLruMap<string, number>(2);
    m.set("a", 1);
    m.set("b", 2);
    expect(m.get("a")).toBe(1); // a is now newer than b
    m.set("c", 3);
    expect(m.peek("b")).toBeUndefined();
    expect(m.peek("a")).toBe(1);
    expect(m.peek("c")).toBe(3);
    expect(m.size).toBe(2);
    expect(m.evicted).toBe(1);
  });

  it("never evicts an entry before maxEntries/2 other entries were stored after its last use", () => {
    const max = 1000;
    const m = new BoundedLruMap<number, number>(max);
    for (let i = 0; i < max; i++) m.set(i, i);
    // Entry 0 is read every max/2 - 1 stores while new keys push the map over its bound.
    let next = max;
    for (let round = 0; round < 50; round++) {
      expect(m.get(0)).toBe(0);
      for (let k = 0; k < max / 2 - 1; k++) m.set(next++, 0);
    }
    expect(m.peek(0)).toBe(0);
    expect(m.size).toBe(max);
    // Without reads it goes after max more stores, as the oldest entry.
    for (let k = 0; k < max; k++) m.set(next++, 0);
    expect(m.peek(0)).toBeUndefined();
    expect(m.evicted).toBe(next - max);
  });

  it("overwriting a key keeps one entry and makes it the youngest", () => {
    const m = new BoundedLruMap<string, number>(2);
    m.set("a", 1);
    m.set("b", 2);
    m.set("a", 3);
    m.set("c", 4);
    expect(m.peek("a")).toBe(3);
    expect(m.peek("b")).toBeUndefined();
    expect(m.size).toBe(2);
  });

  it("stays bounded under a million inserts", () => {
    const m = new BoundedLruMap<number, number>(1000);
    for (let i = 0; i < 1_000_000; i++) m.set(i, i);
    expect(m.size).toBe(1000);
    expect(m.peek(999_999)).toBe(999_999);
    expect(m.peek(0)).toBeUndefined();
  });

  it("rejects a size below 1 with a message naming the value", () => {
    expect(() => new BoundedLruMap(0)).toThrow("maxEntries 0 must be an integer >= 1");
  });
});

describe("BoundedLruMap eviction order over a long run", () => {
  it("evicts in least-recently-used order while keys are read, overwritten, deleted and cleared", () => {
    // Reference: an exact LRU on a plain array; refreshAfter = 1 (maxEntries 2 or 3) makes BoundedLruMap exact too.
    for (const max of [2, 3]) {
      const m = new BoundedLruMap<number, number>(max);
      let ref: number[] = [];
      let seed = 7;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      for (let step = 0; step < 20_000; step++) {
        const k = rnd(8);
        const op = rnd(10);
        if (op < 5) {
          // setAbsent right after a miss, as the parsers use it; set otherwise.
          if (m.peek(k) === undefined && rnd(2) === 0) m.setAbsent(k, step);
          else m.set(k, step);
          ref = ref.filter((x) => x !== k);
          if (ref.length >= max) ref.shift();
          ref.push(k);
        } else if (op < 8) {
          const got = m.get(k);
          if (ref.includes(k)) {
            expect(got).toBeDefined();
            ref = [...ref.filter((x) => x !== k), k];
          } else expect(got).toBeUndefined();
        } else if (op < 9) {
          expect(m.delete(k)).toBe(ref.includes(k));
          ref = ref.filter((x) => x !== k);
        } else if (rnd(50) === 0) {
          m.clear();
          ref = [];
        }
        expect(m.size).toBe(ref.length);
        for (const x of ref) expect(m.peek(x)).toBeDefined();
      }
    }
  });

  describe("idle expiry (log time)", () => {
    const HOUR = 3_600_000;
    const t0 = Date.UTC(2026, 10, 1);

    it("forgets an entry neither stored nor read for longer than idleExpiryMs, keeps one read meanwhile", () => {
      const m = new BoundedLruMap<string, number>(100, { idleExpiryMs: 24 * HOUR });
      m.advance(t0);
      m.set("lost", 1); // its end line never comes
      m.set("retried", 2); // read on every retry, hourly
      m.set("peeked", 3); // only peeked (a delivery line), every 12 h
      for (let h = 1; h <= 30; h++) {
        m.advance(t0 + h * HOUR);
        m.get("retried");
        if (h % 12 === 0) m.peek("peeked");
      }
      expect(m.peek("lost")).toBeUndefined();
      expect(m.peek("retried")).toBe(2);
      expect(m.peek("peeked")).toBe(3);
      expect(m.expired).toBe(1);
      expect(m.evicted).toBe(0);
    });

    it("keeps an entry idle for less than idleExpiryMs, and ignores time going back", () => {
      const m = new BoundedLruMap<string, number>(100, { idleExpiryMs: 24 * HOUR });
      m.advance(t0);
      m.set("a", 1);
      m.advance(t0 + 23 * HOUR);
      m.advance(t0 - 48 * HOUR);
      m.advance(t0 + 23 * HOUR + 59 * 60_000);
      expect(m.peek("a")).toBe(1);
      m.advance(t0 + 48 * HOUR);
      expect(m.size).toBe(0);
    });

    it("entries stored before the first time count from that time; without the option nothing expires", () => {
      const m = new BoundedLruMap<string, number>(100, { idleExpiryMs: HOUR });
      m.set("early", 1);
      m.advance(t0 + 10 * HOUR);
      m.advance(t0 + 10 * HOUR + 30 * 60_000);
      expect(m.peek("early")).toBe(1);
      const plain = new BoundedLruMap<string, number>(100);
      plain.advance(t0);
      plain.set("x", 1);
      plain.advance(t0 + 1000 * HOUR);
      expect(plain.peek("x")).toBe(1);
    });

    it("refuses an expiry under a minute", () => {
      expect(() => new BoundedLruMap(10, { idleExpiryMs: 1000 })).toThrow(/idleExpiryMs 1000 must be at least 60000/);
    });
  });
});
