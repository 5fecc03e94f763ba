/*
 * Parsers never throw (issue 5, item 6): every log-line, queue-listing and
 * socket parser is fed random and mutated inputs built from the corpus, the
 * fixtures and synthetic samples. Each input must parse without an exception,
 * within the time bound (no regex catastrophes on lines up to 100,000
 * characters), and with consistent results. FUZZ_SEED replays a run,
 * FUZZ_ITERATIONS scales it, FUZZ_TARGETS picks targets; run-fuzz.ts does
 * long runs on demand.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzOptionsFromEnv } from "./fuzz-options.js";
import { formatFailure, formatSummary } from "./format-report.js";
import { describeRun, knownInputsOf, planFuzz, runKnownInput } from "./fuzz-suite.js";
import { runTarget, type TargetReport } from "./run-target.js";

const options = fuzzOptionsFromEnv(process.env);
const plan = planFuzz(options);
const reports: TargetReport[] = [];
const started = performance.now();

describe("inputs that broke a parser before", () => {
  it.each(knownInputsOf(plan).map((k) => ({ ...k, chars: JSON.stringify(k.input).length })))("$target: $was ($chars chars)", (known) => {
    const report = runKnownInput(plan, known, options);
    expect(report.failures.map((f) => formatFailure(known.target, options, f))).toEqual([]);
  });
});

describe("parser fuzz", () => {
  beforeAll(() => {
    console.log(describeRun(options, plan));
  });

  afterAll(() => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(formatSummary(reports, `parser fuzz summary (seed ${options.seed}, ${seconds} s):`));
  });

  for (const target of plan.targets) {
    it(target.name, { timeout: 600_000 }, () => {
      const report = runTarget(target, options);
      reports.push(report);
      const failures = report.failures.map((f) => formatFailure(target.name, options, f)).join("\n\n");
      expect(report.failures.length, `seed ${options.seed}:\n${failures}`).toBe(0);
    });
  }
});
