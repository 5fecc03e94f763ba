import { describe, expect, it } from "vitest";
import { StreamRowBudget } from "./stream-row-budget.js";

describe("StreamRowBudget", () => {
  it("lets a burst through at once, then paces the stream to its rate", () => {
    const budget = new StreamRowBudget({ rowsPerSecond: 1000, burstRows: 5000 }, 0);
    expect(budget.spend(5000, 0)).toBe(0);
    // 2,000 rows more with nothing left: 2 s of debt.
    expect(budget.spend(2000, 0)).toBe(2000);
    // After waiting the 2 s the debt is paid; a further 1,000-row batch waits 1 s.
    expect(budget.spend(1000, 2000)).toBe(1000);
  });

  it("a stream under its rate never waits, and the bucket refills only up to the burst", () => {
    const budget = new StreamRowBudget({ rowsPerSecond: 100, burstRows: 1000 }, 0);
    for (let t = 0; t < 600_000; t += 10_000) expect(budget.spend(500, t)).toBe(0);
    // A long idle spell refills to 1,000, not more.
    expect(budget.spend(1000, 10_000_000)).toBe(0);
    expect(budget.spend(100, 10_000_000)).toBe(1000);
  });

  it("rowsPerSecond 0 turns pacing off", () => {
    const budget = new StreamRowBudget({ rowsPerSecond: 0, burstRows: 0 }, 0);
    expect(budget.spend(1e9, 0)).toBe(0);
  });
});
