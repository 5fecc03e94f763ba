import { resolveSyslogYear, syslogTimestampToUnixMs } from "../../shared/mta/time/resolve-syslog-year.js";
import type { FuzzRandom } from "./fuzz-random.js";
import { check, type FuzzTarget } from "./fuzz-target.js";

/** Arguments of resolveSyslogYear: month0, day, hour, minute, second, now (unix ms), tolerance (ms). */
export type SyslogYearInput = [number, number, number, number, number, number, number];

const ODD_NUMBERS = [NaN, Infinity, -Infinity, -1, -0, 0.5, 12, 13, 31, 32, 60, 61, 2 ** 31, -(2 ** 31), Number.MAX_SAFE_INTEGER, 8.64e15, 8.64e15 + 1, -8.64e15, 1e300];

// Plausible timestamps (the ones prefix parsing produces) most of the time, any number sometimes.
function field(rng: FuzzRandom, min: number, max: number): number {
  return rng.chance(0.9) ? rng.int(min, max) : rng.pick(ODD_NUMBERS);
}

function generate(rng: FuzzRandom): SyslogYearInput {
  const now = rng.chance(0.9) ? rng.int(-2_208_988_800_000, 4_102_444_800_000) : rng.pick(ODD_NUMBERS);
  const tolerance = rng.chance(0.8) ? 86_400_000 : rng.chance(0.5) ? rng.int(0, 400 * 86_400_000) : rng.pick(ODD_NUMBERS);
  return [field(rng, 0, 11), field(rng, 1, 31), field(rng, 0, 23), field(rng, 0, 59), field(rng, 0, 60), now, tolerance];
}

function plausible([month0, day, hour, minute, second, now, tolerance]: SyslogYearInput): boolean {
  return (
    Number.isInteger(month0) && month0 >= 0 && month0 <= 11 && Number.isInteger(day) && day >= 1 && day <= 31 &&
    [hour, minute, second].every((n) => Number.isInteger(n) && n >= 0 && n <= 60) &&
    Math.abs(now) <= 8e15 && Number.isFinite(tolerance) && tolerance >= 0 && tolerance < 1e12
  );
}

/**
 * resolveSyslogYear / syslogTimestampToUnixMs with plausible and absurd
 * numbers: never a throw; for plausible ones (what parsing a line can give)
 * a year within the documented search range and a finite time.
 */
export function syslogYearTarget(): FuzzTarget<SyslogYearInput> {
  return {
    name: "syslog-year",
    weight: 0.5,
    timed: "call",
    generate,
    session() {
      let inputs = 0;
      let inRange = 0;
      return {
        feed(input) {
          inputs++;
          const year = resolveSyslogYear(...input);
          const ms = syslogTimestampToUnixMs(...input);
          check(typeof year === "number" && typeof ms === "number", "results must be numbers");
          if (!plausible(input)) return;
          inRange++;
          const nowYear = new Date(input[5]).getFullYear();
          check(Number.isInteger(year) && year >= nowYear - 8 && year <= nowYear + 1, () => `year ${year} outside ${nowYear - 8}..${nowYear + 1}`);
          check(Number.isFinite(ms), () => `unix ms ${ms} must be finite`);
        },
        finish: () => ({ unit: "calls", units: inputs, recognised: inRange, notes: "recognised = plausible arguments, range-checked" }),
      };
    },
  };
}
