import { randomRunSeed } from "./fuzz-random.js";

/** Inputs per weight-1 target in CI: the whole suite then feeds several hundred thousand inputs in well under a minute. */
export const DEFAULT_FUZZ_ITERATIONS = 25_000;
/** Longest one input (a line up to 100,000 characters, or a small listing) may take to parse, in ms. */
export const DEFAULT_FUZZ_BOUND_MS = 50;

/** How a fuzz run is configured. */
export interface FuzzOptions {
  /** Run seed (printed; replays the run). */
  seed: number;
  /** Inputs for a target of weight 1. */
  iterations: number;
  /** Per-input time bound, ms. */
  boundMs: number;
  /** Target names to run, or null for all. */
  targets: string[] | null;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new Error(`${name} ${JSON.stringify(value)} must be an integer >= 1`);
  return n;
}

/** The seed CI runs (CI=true) when FUZZ_SEED is not set. */
export const CI_FUZZ_SEED = 1035348131;

function seedOf(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 0xffffffff) throw new Error(`${name} ${JSON.stringify(value)} must be an integer in 0..4294967295`);
  return n;
}

function list(value: string | undefined): string[] | null {
  if (value === undefined || value.trim() === "") return null;
  return value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Options from FUZZ_SEED, FUZZ_ITERATIONS, FUZZ_BOUND_MS and FUZZ_TARGETS (comma-separated names). */
export function fuzzOptionsFromEnv(env: NodeJS.ProcessEnv): FuzzOptions {
  return {
    // CI replays one fixed seed so a red run is a regression, not a new find; anywhere else every run explores a new seed.
    seed:
      env.FUZZ_SEED !== undefined && env.FUZZ_SEED !== ""
        ? seedOf("FUZZ_SEED (--seed)", env.FUZZ_SEED)
        : env.CI === "true"
          ? CI_FUZZ_SEED
          : randomRunSeed(),
    iterations: env.FUZZ_ITERATIONS === undefined || env.FUZZ_ITERATIONS === "" ? DEFAULT_FUZZ_ITERATIONS : positiveInt("FUZZ_ITERATIONS (--iterations)", env.FUZZ_ITERATIONS),
    boundMs: env.FUZZ_BOUND_MS === undefined || env.FUZZ_BOUND_MS === "" ? DEFAULT_FUZZ_BOUND_MS : positiveInt("FUZZ_BOUND_MS (--bound-ms)", env.FUZZ_BOUND_MS),
    targets: list(env.FUZZ_TARGETS),
  };
}
