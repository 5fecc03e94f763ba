import type { FuzzRandom } from "./fuzz-random.js";

/** Totals a session reports at the end: how much of what it was fed the parser understood. */
export interface SessionSummary {
  /** What was counted: "lines", "inputs", "rows", ... */
  unit: string;
  /** Units fed. */
  units: number;
  /** Units the parser recognised. */
  recognised: number;
  /** Extra facts for the summary (events emitted, messages counted). */
  notes?: string;
}

/** One parser instance (or a set of them) being fed inputs; state may carry from one input to the next, as in production. */
export interface FuzzSession<I> {
  /**
   * Parses one input and checks the result; throws InvariantViolation when
   * the result is inconsistent. A session that streams a document line by
   * line returns its slowest line's time (ms), which the bound then applies
   * to; otherwise the whole call is timed.
   */
  feed(input: I): number | void;
  /** Checks the accumulated state (counters, aggregates) and returns the totals. */
  finish(): SessionSummary;
}

/** A parser entry point under fuzz. */
export interface FuzzTarget<I = string> {
  /** Name in reports, FUZZ_TARGETS and --targets. */
  name: string;
  /** Inputs per FUZZ_ITERATIONS unit (cheap line parsers get more). */
  weight: number;
  /** What the time bound applies to: "line", "listing line" (a document streamed line by line), "document", "call". */
  timed: string;
  /** Builds one input. */
  generate(rng: FuzzRandom): I;
  /** A fresh parser state. */
  session(): FuzzSession<I>;
  /** The text of an input, for length, previews and replay files (default: the input itself when it is a string). */
  text?(input: I): string;
}

/** A parser result that contradicts what the parser promises (not an exception of the parser itself). */
export class InvariantViolation extends Error {
  override readonly name = "InvariantViolation";
}

/** Throws InvariantViolation with `message` unless `condition` holds. */
export function check(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantViolation(typeof message === "string" ? message : message());
}

/** Checks that `value` is a finite integer >= 0 (counters, sizes, ports). */
export function checkCount(value: unknown, what: string): void {
  check(typeof value === "number" && Number.isInteger(value) && value >= 0, () => `${what} ${String(value)} must be a finite integer >= 0`);
}

/**
 * Checks a number read from the input text (a pid, an age, a count printed by
 * a command): an integer >= 0, where Infinity is tolerated because a
 * 309-digit number reads as Infinity and the parsers pass such absurd values
 * through (no real lsof, ps, Exim or qmail prints them); NaN, negatives and
 * fractions are not.
 */
export function checkNumberFromText(value: unknown, what: string): void {
  check(typeof value === "number" && value >= 0 && (Number.isInteger(value) || value === Infinity), () => `${what} ${String(value)} must be an integer >= 0`);
}

/** Checks that `value` is null or a string. */
export function checkOptionalString(value: unknown, what: string): void {
  check(value === null || typeof value === "string", () => `${what} ${String(value)} must be a string or null`);
}

/** Equal, or within a relative 1e-9 (sums of large counts added in different orders). */
export function sameTotal(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}
