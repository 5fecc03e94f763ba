import type { FuzzOptions } from "./fuzz-options.js";
import { allTargets, selectTargets, type AnyFuzzTarget } from "./fuzz-targets.js";
import { KNOWN_HOSTILE_INPUTS, type KnownHostileInput } from "./known-hostile-inputs.js";
import { CORPUS_DIR, loadSeeds, type FuzzSeeds } from "./load-seeds.js";
import { feedInputs, type TargetReport } from "./run-target.js";

/** Seeds and the selected targets of a run. */
export interface FuzzPlan {
  seeds: FuzzSeeds;
  targets: AnyFuzzTarget[];
}

/** Loads the seeds and selects the targets named in the options. */
export function planFuzz(options: FuzzOptions): FuzzPlan {
  const seeds = loadSeeds();
  return { seeds, targets: selectTargets(allTargets(seeds), options.targets) };
}

/** The lines printed before a run: seed, iterations, bound, where the seeds came from. */
export function describeRun(options: FuzzOptions, plan: FuzzPlan): string {
  const s = plan.seeds;
  return [
    `parser fuzz: seed ${options.seed} (replay with FUZZ_SEED=${options.seed}), FUZZ_ITERATIONS=${options.iterations}, bound ${options.boundMs} ms per line (per document for whole-document parsers), ${plan.targets.length} targets`,
    `seeds: corpus ${s.corpus ? CORPUS_DIR : "absent (fixtures and synthetic samples only)"}; ${s.mta.flat().length} MTA lines in ${s.mta.length} files, ${Object.values(s.queue).flat().length} queue listings, ${s.lsofFields.length} lsof -F documents, ${s.lsofNames.flat().length} lsof names`,
  ].join("\n");
}

/** Feeds one remembered input to a fresh session of its target (which must be in the plan). */
export function runKnownInput(plan: FuzzPlan, known: KnownHostileInput, options: FuzzOptions): TargetReport {
  const target = plan.targets.find((t) => t.name === known.target);
  if (target === undefined) throw new Error(`known hostile input for target ${known.target}, which is not selected`);
  return feedInputs(target, [known.input], options);
}

/** The remembered inputs whose targets are in the plan. */
export function knownInputsOf(plan: FuzzPlan): KnownHostileInput[] {
  return KNOWN_HOSTILE_INPUTS.filter((k) => plan.targets.some((t) => t.name === k.target));
}
