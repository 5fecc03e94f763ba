import { describe, expect, it } from "vitest";
import type { ClickHouseStore, Row } from "./clickhouse/store.js";
import { InsertBatcher } from "./insert-batcher.js";

/** A store that records inserts and fails the ones whose table is listed. */
function recordingStore(failing: Set<string> = new Set()): ClickHouseStore & { inserts: { table: string; rows: readonly Row[] }[] } {
  const inserts: { table: string; rows: readonly Row[] }[] = [];
  return {
    kind: "embedded",
    database: "t",
    inserts,
    command: async () => {},
    query: async () => [],
    close: async () => {},
    insert: async (table, rows) => {
      if (failing.has(table)) throw new Error(`insert into ${table} failed`);
      inserts.push({ table, rows });
    },
  };
}

describe("InsertBatcher", () => {
  it("merges writes for one table issued together into one insert", async () => {
    const store = recordingStore();
    const batcher = new InsertBatcher(store, { maxRows: 1000 });
    await Promise.all([batcher.write("a", [{ x: 1 }]), batcher.write("a", [{ x: 2 }, { x: 3 }]), batcher.write("b", [{ y: 1 }])]);
    expect(store.inserts).toEqual([
      { table: "a", rows: [{ x: 1 }, { x: 2 }, { x: 3 }] },
      { table: "b", rows: [{ y: 1 }] },
    ]);
  });

  it("merges writes that arrive while an insert runs into the next one, up to maxRows", async () => {
    const store = recordingStore();
    const batcher = new InsertBatcher(store, { maxRows: 3 });
    const first = batcher.write("a", [{ x: 1 }]);
    await new Promise((resolve) => setImmediate(resolve)); // the first insert is now running
    await Promise.all([first, batcher.write("a", [{ x: 2 }, { x: 3 }]), batcher.write("a", [{ x: 4 }]), batcher.write("a", [{ x: 5 }, { x: 6 }])]);
    expect(store.inserts.map((i) => i.rows.map((r) => r.x))).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it("rejects every writer of a failed insert, and resolves an empty write at once", async () => {
    const store = recordingStore(new Set(["a"]));
    const batcher = new InsertBatcher(store, { maxRows: 1000 });
    const results = await Promise.allSettled([batcher.write("a", [{ x: 1 }]), batcher.write("a", [{ x: 2 }]), batcher.write("a", [])]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "fulfilled"]);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error("insert into a failed"));
  });

  it("starts INSERTs into one table at least minIntervalMs apart, merging what arrives meanwhile", async () => {
    const store = recordingStore();
    const starts: number[] = [];
    const insert = store.insert;
    store.insert = async (table, rows) => {
      starts.push(Date.now());
      await insert(table, rows);
    };
    const batcher = new InsertBatcher(store, { maxRows: 1000, minIntervalMs: 150 });
    await batcher.write("a", [{ x: 1 }]);
    const later = [batcher.write("a", [{ x: 2 }])];
    await new Promise((resolve) => setTimeout(resolve, 50));
    later.push(batcher.write("a", [{ x: 3 }]), batcher.write("b", [{ y: 1 }]));
    await Promise.all(later);
    expect(store.inserts.map((i) => [i.table, i.rows.length])).toEqual([["a", 1], ["b", 1], ["a", 2]]);
    expect(starts[2]! - starts[0]!).toBeGreaterThanOrEqual(145);
  });

  it("inserts a write of soloRows rows or more alone, beside the shared INSERTs, which go on meanwhile", async () => {
    const store = recordingStore();
    let releaseSolo!: () => void;
    const soloGate = new Promise<void>((resolve) => (releaseSolo = resolve));
    const insert = store.insert;
    store.insert = async (table, rows) => {
      if (rows.length >= 4) await soloGate; // the flood's INSERT is slow
      await insert(table, rows);
    };
    const batcher = new InsertBatcher(store, { maxRows: 1000, soloRows: 4 });
    const flood = batcher.write("a", [{ x: 1 }, { x: 2 }, { x: 3 }, { x: 4 }]);
    const others = Promise.all([batcher.write("a", [{ x: 5 }]), batcher.write("a", [{ x: 6 }, { x: 7 }])]);
    let floodStored = false;
    void flood.then(() => (floodStored = true));
    await others;
    expect(floodStored).toBe(false);
    expect(store.inserts.map((i) => i.rows.map((r) => r.x))).toEqual([[5, 6, 7]]);
    const secondFlood = batcher.write("a", [{ x: 8 }, { x: 9 }, { x: 10 }, { x: 11 }]);
    releaseSolo();
    await Promise.all([flood, secondFlood]);
    // Solo writes are never merged, even with each other.
    expect(store.inserts.map((i) => i.rows.map((r) => r.x))).toEqual([[5, 6, 7], [1, 2, 3, 4], [8, 9, 10, 11]]);
  });
});
