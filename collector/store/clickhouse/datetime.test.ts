import { describe, expect, it } from "vitest";
import { toClickHouseDateTime } from "./datetime.js";

describe("toClickHouseDateTime", () => {
  it.each([
    { name: "epoch", input: 0, output: "1970-01-01 00:00:00" },
    { name: "milliseconds are dropped, not rounded", input: Date.UTC(2024, 0, 2, 3, 4, 5, 999), output: "2024-01-02 03:04:05" },
    { name: "leap day", input: Date.UTC(2024, 1, 29, 23, 59, 59), output: "2024-02-29 23:59:59" },
    { name: "end of a year", input: Date.UTC(2025, 11, 31, 23, 59, 59, 500), output: "2025-12-31 23:59:59" },
    { name: "largest DateTime (UInt32 seconds)", input: 4_294_967_295_000, output: "2106-02-07 06:28:15" },
  ])("$name", ({ input, output }) => {
    expect(toClickHouseDateTime(input)).toBe(output);
  });

  it("is UTC whatever the process time zone", () => {
    const before = process.env.TZ;
    process.env.TZ = "Asia/Kolkata";
    try {
      expect(toClickHouseDateTime(Date.UTC(2024, 5, 1, 0, 0, 0))).toBe("2024-06-01 00:00:00");
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it.each([{ input: Number.NaN }, { input: 8.64e15 + 1 }])("refuses an invalid time $input", ({ input }) => {
    expect(() => toClickHouseDateTime(input)).toThrow(new RangeError("Invalid time value"));
  });
});
