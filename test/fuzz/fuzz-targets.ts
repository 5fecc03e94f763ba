import { asciiPrefixTarget } from "./ascii-prefix-target.js";
import type { FuzzTarget } from "./fuzz-target.js";
import type { FuzzSeeds } from "./load-seeds.js";
import { familyParsersTarget, mailLogTarget, syslogPrefixTarget } from "./mta-targets.js";
import { queueTargets } from "./queue-targets.js";
import { socketTargets } from "./socket-targets.js";
import { syslogYearTarget } from "./syslog-year-target.js";
import { windowAggregatorTarget } from "./window-aggregator-target.js";

/** A target of any input type (the runner only passes generated inputs back to the same target). */
export type AnyFuzzTarget = FuzzTarget<any>;

/** Every parser under fuzz, in report order. */
export function allTargets(seeds: FuzzSeeds): AnyFuzzTarget[] {
  return [
    ...(["auto", "postfix", "exim", "sendmail", "qmail"] as const).map((mta) => mailLogTarget(mta, seeds.mta, mta === "auto" ? [] : (seeds.mtaByFamily[mta] ?? []))),
    familyParsersTarget(seeds.mta),
    syslogPrefixTarget(seeds.mta),
    asciiPrefixTarget(seeds.mta),
    syslogYearTarget(),
    windowAggregatorTarget(seeds.mta),
    ...queueTargets(seeds),
    ...socketTargets(seeds),
  ];
}

/** The targets whose names are in `names` (all when null); unknown names are an error naming them. */
export function selectTargets(targets: readonly AnyFuzzTarget[], names: readonly string[] | null): AnyFuzzTarget[] {
  if (names === null) return [...targets];
  const known = new Set(targets.map((t) => t.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Error(`unknown fuzz target(s) ${unknown.join(", ")}; known: ${[...known].join(", ")}`);
  return targets.filter((t) => names.includes(t.name));
}
