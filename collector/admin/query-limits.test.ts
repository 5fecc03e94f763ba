import { describe, expect, it } from "vitest";
import { StoreError } from "../store/clickhouse/store.js";
import { explainLimitError, limitSettings } from "./query-limits.js";

const limits = { maxExecutionTimeMs: 2500, maxMemoryBytes: 64 * 1024 * 1024 };

describe("limitSettings", () => {
  it("rounds the time limit up to whole seconds (18.16 would truncate 2.5 to 2, and 0.5 to no limit)", () => {
    expect(limitSettings(limits)).toEqual({ max_execution_time: "3", max_memory_usage: "67108864", timeout_overflow_mode: "throw" });
    expect(limitSettings({ ...limits, maxExecutionTimeMs: 1000 }).max_execution_time).toBe("1");
  });
});

describe("explainLimitError", () => {
  it.each([
    ["18.16 timeout", "Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 3.0 seconds, maximum: 3", /admin\.query\.maxExecutionTimeMs = 2500 ms/],
    ["chdb timeout", "Code: 159. DB::Exception: Timeout exceeded: elapsed 3000.4 ms, maximum: 3000 ms. (TIMEOUT_EXCEEDED)", /admin\.query\.maxExecutionTimeMs = 2500 ms/],
    ["estimated too slow", "Code: 160. DB::Exception: Estimated query execution time (40 seconds) is too long. (TOO_SLOW)", /admin\.query\.maxExecutionTimeMs/],
    ["memory", "Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded: would use 11.00 MiB", /admin\.query\.maxMemoryBytes = 67108864 bytes/],
  ])("names the limit and its key: %s", (_name, message, expected) => {
    const explained = explainLimitError(StoreError.from(new Error(message), "ClickHouse query failed"), limits);
    expect((explained as Error).message).toMatch(expected);
    expect((explained as Error).cause).toBeInstanceOf(StoreError);
  });

  it("returns any other error unchanged", () => {
    const other = StoreError.from(new Error("Code: 60, e.displayText() = DB::Exception: Table x doesn't exist"), "ClickHouse query failed");
    expect(explainLimitError(other, limits)).toBe(other);
    const plain = new Error("connect ECONNREFUSED");
    expect(explainLimitError(plain, limits)).toBe(plain);
  });
});
