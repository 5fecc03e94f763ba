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
