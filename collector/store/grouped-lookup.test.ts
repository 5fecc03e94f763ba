import { describe, expect, it } from "vitest";
import { GroupedLookup } from "./grouped-lookup.js";

describe("GroupedLookup", () => {
  it("answers keys asked together with one query, and keys asked during it with the next, up to maxKeys", async () => {
    const queries: string[][] = [];
    const lookup = new GroupedLookup<string, number>(
      async (keys) => {
        queries.push([...keys]);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return new Map(keys.filter((k) => k !== "missing").map((k) => [k, k.length]));
      },
      (k) => k,
      { maxKeys: 3, absent: -1 },
    );
    const first = [lookup.get("a"), lookup.get("bb"), lookup.get("bb")];
    await new Promise((resolve) => setImmediate(resolve));
    const second = [lookup.get("ccc"), lookup.get("missing"), lookup.get("dddd"), lookup.get("eeeee")];
    expect(await Promise.all([...first, ...second])).toEqual([1, 2, 2, 3, -1, 4, 5]);
    expect(queries).toEqual([["a", "bb"], ["ccc", "missing", "dddd"], ["eeeee"]]);
  });

  it("rejects every key of a failed query and goes on with the next group", async () => {
    let calls = 0;
    const lookup = new GroupedLookup<string, boolean>(
      async (keys) => {
        calls++;
        if (calls === 1) throw new Error("store down");
        return new Map(keys.map((k) => [k, true]));
      },
      (k) => k,
      { maxKeys: 10, absent: false },
    );
    const failed = await Promise.allSettled([lookup.get("a"), lookup.get("b")]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(await lookup.get("c")).toBe(true);
    expect(calls).toBe(2);
  });
});
