import { describe, expect, it } from "vitest";
import { resolveYearlessTime } from "./resolve-listing-time.js";

const at = (month: string, day: number, hour = 0, minute = 0, second = 0) => ({ month, day, hour, minute, second });

describe("resolveYearlessTime", () => {
  it.each([
    { name: "same day", t: at("Nov", 29, 9, 2, 24), now: Date.UTC(2026, 10, 29, 10), utc: Date.UTC(2026, 10, 29, 9, 2, 24), offset: 0 },
    { name: "December seen in January", t: at("Dec", 31, 23, 50), now: Date.UTC(2027, 0, 1, 0, 10), utc: Date.UTC(2026, 11, 31, 23, 50), offset: 0 },
    { name: "local time ahead of UTC", t: at("Jan", 1, 0, 30), now: Date.UTC(2026, 11, 31, 23, 45), utc: Date.UTC(2026, 11, 31, 23, 30), offset: 60 },
    { name: "Feb 29 in a non-leap year is the last leap year's", t: at("Feb", 29, 12), now: Date.UTC(2027, 2, 1), utc: Date.UTC(2024, 1, 29, 12), offset: 0 },
  ])("$name", ({ t, now, utc, offset }) => {
    expect(resolveYearlessTime(t, { nowUnixMs: now, utcOffsetMinutes: offset })).toBe(utc);
  });

  it("rejects an unknown month", () => {
    expect(resolveYearlessTime(at("Foo", 1), { nowUnixMs: 0, utcOffsetMinutes: 0 })).toBeNull();
  });

  it("uses the local zone by default", () => {
    const now = Date.UTC(2026, 5, 15, 12);
    expect(resolveYearlessTime(at("Jun", 15, 8, 0, 0), { nowUnixMs: now })).toBe(new Date(2026, 5, 15, 8, 0, 0).getTime());
  });
});
