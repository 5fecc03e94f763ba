import { describe, expect, it } from "vitest";
import { resolveSyslogYear, syslogTimestampToUnixMs } from "./resolve-syslog-year.js";

const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => new Date(y, mo, d, h, mi, s).getTime();

describe("resolveSyslogYear", () => {
  const cases: { name: string; line: [number, number, number, number, number]; now: number; output: number }[] = [
    { name: "same day", line: [10, 29, 7, 4, 10], now: local(2026, 10, 29, 8), output: 2026 },
    { name: "December line read in January is last year", line: [11, 31, 23, 59, 59], now: local(2027, 0, 1, 0, 0, 5), output: 2026 },
    { name: "December line read in early December is this year", line: [11, 1, 10, 0, 0], now: local(2026, 11, 2), output: 2026 },
    { name: "line a few seconds in the future (clock skew) stays this year", line: [10, 29, 8, 0, 30], now: local(2026, 10, 29, 8), output: 2026 },
    { name: "Jan 1 line read just before midnight on Dec 31 is next year", line: [0, 1, 0, 0, 10], now: local(2026, 11, 31, 23, 59, 59), output: 2027 },
    { name: "line two days ahead is last year's", line: [10, 30, 12, 0, 0], now: local(2026, 10, 28, 12), output: 2025 },
    { name: "old file: July line, reference = file mtime in March", line: [6, 4, 12, 0, 0], now: local(2016, 2, 1), output: 2015 },
    { name: "Feb 29 read in a non-leap year goes back to the last leap year", line: [1, 29, 12, 0, 0], now: local(2027, 5, 1), output: 2024 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(resolveSyslogYear(...c.line, c.now)).toBe(c.output);
    });
  }

  it("syslogTimestampToUnixMs returns local wall-clock time in the resolved year", () => {
    expect(syslogTimestampToUnixMs(11, 31, 23, 59, 59, local(2027, 0, 1))).toBe(local(2026, 11, 31, 23, 59, 59));
  });
});
