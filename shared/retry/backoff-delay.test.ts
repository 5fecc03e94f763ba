import { describe, expect, it } from "vitest";
import { backoffDelayMs } from "./backoff-delay.js";

const MIN = 500;
const MAX = 30_000;

describe("backoffDelayMs", () => {
  it.each([
    { name: "attempt 0 is the minimum whatever the jitter", input: { attempt: 0, random: 1 }, output: 500 },
    { name: "attempt 1, no jitter: the minimum", input: { attempt: 1, random: 0 }, output: 500 },
    { name: "attempt 1, full jitter: twice the minimum", input: { attempt: 1, random: 1 }, output: 1000 },
    { name: "attempt 3, full jitter: 8× the minimum", input: { attempt: 3, random: 1 }, output: 4000 },
    { name: "attempt 3, half jitter: halfway", input: { attempt: 3, random: 0.5 }, output: 2250 },
    { name: "attempt 5, full jitter: 16 000 ms", input: { attempt: 5, random: 1 }, output: 16_000 },
    { name: "attempt 6 would be 32 000 ms: capped", input: { attempt: 6, random: 1 }, output: 30_000 },
    { name: "attempt 1000 stays capped (no overflow)", input: { attempt: 1000, random: 1 }, output: 30_000 },
    { name: "attempt 1000, no jitter: the minimum", input: { attempt: 1000, random: 0 }, output: 500 },
    { name: "rounded to whole ms", input: { attempt: 1, random: 0.3333 }, output: 667 },
  ])("$name", ({ input, output }) => {
    expect(backoffDelayMs(input.attempt, MIN, MAX, () => input.random)).toBe(output);
  });

  it("stays within [min, min(max, min·2^attempt)] and its ceiling grows until the cap", () => {
    const ceilings: number[] = [];
    for (let attempt = 0; attempt <= 10; attempt++) {
      const low = backoffDelayMs(attempt, MIN, MAX, () => 0);
      const high = backoffDelayMs(attempt, MIN, MAX, () => 1);
      expect(low).toBe(MIN);
      expect(high).toBe(Math.min(MAX, MIN * 2 ** attempt));
      for (const r of [0.1, 0.5, 0.9]) {
        const delay = backoffDelayMs(attempt, MIN, MAX, () => r);
        expect(delay).toBeGreaterThanOrEqual(low);
        expect(delay).toBeLessThanOrEqual(high);
      }
      ceilings.push(high);
    }
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it("uses Math.random by default, within bounds", () => {
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelayMs(4, MIN, MAX);
      expect(delay).toBeGreaterThanOrEqual(MIN);
      expect(delay).toBeLessThanOrEqual(8000);
    }
  });
});
