import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FuzzRandom, targetSeed } from "./fuzz-random.js";
import { InvariantViolation, type FuzzSession, type FuzzTarget, type SessionSummary } from "./fuzz-target.js";

/** How one target is run. */
export interface RunTargetOptions {
  /** Run seed; the target's own seed is derived from it and its name. */
  seed: number;
  /** Inputs for a target of weight 1. */
  iterations: number;
  /** Longest a single input may take to parse, in ms. */
  boundMs: number;
  /** Failures recorded before the target is stopped. */
  maxFailures?: number;
}

/** A failed input. */
export interface FuzzFailure {
  /** `threw`: the parser threw; `invariant`: its result was inconsistent; `slow`: it took longer than the bound. */
  kind: "threw" | "invariant" | "slow";
  /** 0-based index of the input in the target's sequence (-1: at the end of the session). */
  index: number;
  /** Error message, or the time taken. */
  message: string;
  /** Length of the input in characters. */
  inputChars: number;
  /** The input, escaped, long runs abbreviated, truncated. */
  preview: string;
  /** File holding the whole input as JSON, for replay. */
  inputFile: string | null;
}

/** What happened to one target. */
export interface TargetReport {
  name: string;
  /** The target's derived seed. */
  seed: number;
  /** Inputs fed. */
  inputs: number;
  /** Characters fed, all inputs. */
  chars: number;
  /** What maxMs is per (the target's `timed`). */
  timed: string;
  /** Slowest input (or line of a streamed listing), ms; the minimum of its re-runs when it was over the bound. */
  maxMs: number;
  /** Length of the slowest input. */
  maxMsInputChars: number;
  /** Time spent parsing, all inputs, ms. */
  totalMs: number;
  summary: SessionSummary | null;
  failures: FuzzFailure[];
}

const PREVIEW_CHARS = 400;
// Inputs slower than this share of the bound are re-measured, so the reported maximum is not a GC pause.
const REMEASURE_SHARE = 0.2;
// Clearly catastrophic: not worth re-running to rule out a GC pause.
const NO_RETRY_FACTOR = 10;

/** JSON-escaped text with runs of 12+ equal characters written as ⟪"c"×n⟫, cut to `max` characters. */
export function previewText(text: string, max = PREVIEW_CHARS): string {
  let out = "";
  for (let i = 0; i < text.length && out.length < max; ) {
    let j = i + 1;
    while (j < text.length && text[j] === text[i]) j++;
    const c = JSON.stringify(text[i]).slice(1, -1);
    out += j - i >= 12 ? `⟪"${c}"×${j - i}⟫` : c.repeat(j - i);
    i = j;
  }
  return out.length >= max ? `${out.slice(0, max)}…` : out;
}

function saveInput(targetName: string, seed: number, index: number, text: string): string | null {
  const path = join(tmpdir(), `spamtrace-fuzz-${targetName.replace(/[^\w-]/g, "_")}-${seed}-${index}.json`);
  try {
    writeFileSync(path, JSON.stringify(text));
    return path;
  } catch {
    return null;
  }
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e instanceof InvariantViolation ? "" : `\n${e.stack ?? ""}`}`;
  return String(e);
}

/** Feeds one input; returns the bounded time (the session's own per-line time, else the call's), the call's time and any error. */
function timedFeed<I>(session: FuzzSession<I>, input: I): { ms: number; totalMs: number; error: unknown } {
  let own: number | void = undefined;
  let error: unknown = null;
  const t0 = performance.now();
  try {
    own = session.feed(input);
  } catch (e) {
    error = e;
  }
  const totalMs = performance.now() - t0;
  return { ms: typeof own === "number" ? own : totalMs, totalMs, error };
}

/** Feeds `iterations × weight` inputs generated from the target's seed to one session of the target (see feedInputs). */
export function runTarget<I>(target: FuzzTarget<I>, options: RunTargetOptions): TargetReport {
  const seed = targetSeed(options.seed, target.name);
  const rng = new FuzzRandom(seed);
  const count = Math.max(1, Math.round(options.iterations * target.weight));
  function* generated(): Generator<I> {
    for (let i = 0; i < count; i++) yield target.generate(rng);
  }
  return feedInputs(target, generated(), options, seed);
}

/**
 * Feeds inputs to one session of the target, timing each. An exception, an
 * invariant violation, or an input slower than the bound (still slower when
 * re-run twice) is a failure; feeding stops at the first slow input or after
 * maxFailures. `seed` only names the files failing inputs are saved to.
 */
export function feedInputs<I>(target: FuzzTarget<I>, inputs: Iterable<I>, options: Pick<RunTargetOptions, "boundMs" | "maxFailures">, seed = 0): TargetReport {
  const maxFailures = options.maxFailures ?? 5;
  const textOf = (input: I): string => (target.text !== undefined ? target.text(input) : typeof input === "string" ? input : JSON.stringify(input));
  const report: TargetReport = { name: target.name, seed, timed: target.timed, inputs: 0, chars: 0, maxMs: 0, maxMsInputChars: 0, totalMs: 0, summary: null, failures: [] };
  const fail = (kind: FuzzFailure["kind"], index: number, message: string, text: string): void => {
    report.failures.push({ kind, index, message, inputChars: text.length, preview: previewText(text), inputFile: index < 0 ? null : saveInput(target.name, seed, index, text) });
  };
  const session = target.session();
  let index = -1;
  for (const input of inputs) {
    index++;
    const { ms: firstMs, totalMs, error } = timedFeed(session, input);
    let ms = firstMs;
    const text = textOf(input);
    report.inputs++;
    report.chars += text.length;
    report.totalMs += totalMs;
    // Re-measured on fresh sessions (the minimum counts) so that a GC pause or a busy CPU is not taken for a slow parser.
    if (ms > options.boundMs * REMEASURE_SHARE && ms < options.boundMs * NO_RETRY_FACTOR) {
      ms = Math.min(ms, timedFeed(target.session(), input).ms, timedFeed(target.session(), input).ms);
    }
    if (ms > report.maxMs) {
      report.maxMs = ms;
      report.maxMsInputChars = text.length;
    }
    if (error !== null) fail(error instanceof InvariantViolation ? "invariant" : "threw", index, errorMessage(error), text);
    if (ms > options.boundMs) {
      fail("slow", index, `${ms.toFixed(1)} ms > bound ${options.boundMs} ms`, text);
      break;
    }
    if (report.failures.length >= maxFailures) break;
  }
  try {
    report.summary = session.finish();
  } catch (e) {
    fail(e instanceof InvariantViolation ? "invariant" : "threw", -1, errorMessage(e), "");
  }
  return report;
}
