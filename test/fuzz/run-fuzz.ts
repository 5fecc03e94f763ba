/*
 * Long parser fuzz runs on demand, with the same targets and checks as
 * parsers-fuzz.test.ts:
 *   npx tsx test/fuzz/run-fuzz.ts --iterations 1000000 --seed 42 [--targets mail-log:auto,exim-bp] [--bound-ms 50]
 * Exits 1 when any target failed (failing inputs are written to the temp
 * folder), 2 on bad options.
 */
import { parseArgs } from "node:util";
import { fuzzOptionsFromEnv, type FuzzOptions } from "./fuzz-options.js";
import { formatFailure, formatSummary } from "./format-report.js";
import { describeRun, knownInputsOf, planFuzz, runKnownInput } from "./fuzz-suite.js";
import { runTarget, type TargetReport } from "./run-target.js";

function optionsFromArgv(argv: string[]): FuzzOptions {
  const { values } = parseArgs({
    args: argv,
    options: { iterations: { type: "string" }, seed: { type: "string" }, targets: { type: "string" }, "bound-ms": { type: "string" } },
    strict: true,
  });
  // Flags win over the FUZZ_* variables, which win over the defaults.
  return fuzzOptionsFromEnv({
    ...process.env,
    ...(values.seed === undefined ? {} : { FUZZ_SEED: values.seed }),
    ...(values.iterations === undefined ? {} : { FUZZ_ITERATIONS: values.iterations }),
    ...(values.targets === undefined ? {} : { FUZZ_TARGETS: values.targets }),
    ...(values["bound-ms"] === undefined ? {} : { FUZZ_BOUND_MS: values["bound-ms"] }),
  });
}

function main(): number {
  const options = optionsFromArgv(process.argv.slice(2));
  const plan = planFuzz(options);
  console.log(describeRun(options, plan));
  let knownFailures = 0;
  for (const known of knownInputsOf(plan)) {
    const report = runKnownInput(plan, known, options);
    knownFailures += report.failures.length;
    for (const f of report.failures) console.log(`known input (${known.was}):\n${formatFailure(known.target, options, f)}`);
  }
  console.log(`${knownInputsOf(plan).length} known hostile inputs, ${knownFailures} failure(s)`);
  const started = performance.now();
  const reports: TargetReport[] = [];
  for (const target of plan.targets) {
    const report = runTarget(target, options);
    reports.push(report);
    console.log(`${target.name}: ${report.inputs} inputs, max ${report.maxMs.toFixed(2)} ms, ${report.failures.length} failure(s)`);
    for (const f of report.failures) console.log(formatFailure(target.name, options, f));
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(formatSummary(reports, `parser fuzz summary (seed ${options.seed}, ${seconds} s):`));
  return knownFailures > 0 || reports.some((r) => r.failures.length > 0) ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  // Bad flags or FUZZ_* values: the message names the value and the rule.
  console.error(`run-fuzz: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
}
