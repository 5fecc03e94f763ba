// When each planted incident first became visible in the store, watched from
// outside the collector during the run. The `alerts` table is a
// ReplacingMergeTree: a background merge keeps only an incident's latest
// version, so reading min(updated_at) once at the end gives the time of the
// last update, not of the opening (session 12's "30 s late" detections under
// load were that: more parts, earlier merges).
import { plantedDetections } from "../../test/setup/stored-counts.js";

type Sql = <T>(q: string) => Promise<T[]>;

/** Polls the alerts of `hostIds` every `everyMs` until stop(); first() gives each host's first seen detection time (ms). */
export function watchPlanted(sql: Sql, hostIds: readonly string[], everyMs = 2000): { first(): Map<string, number>; stop(): Promise<void> } {
  const first = new Map<string, number>();
  let stopped = false;
  const note = (seen: Map<string, number>): void => {
    for (const [host, at] of seen) first.set(host, Math.min(at, first.get(host) ?? Infinity));
  };
  const loop = (async () => {
    while (!stopped && first.size < hostIds.length) {
      try {
        note(await plantedDetections(sql, hostIds));
      } catch {
        // The collector may be restarting (--restart-at-s): the next poll reads again.
      }
      // Unref'd: a run that fails elsewhere still exits.
      await new Promise((resolve) => setTimeout(resolve, everyMs).unref());
    }
  })();
  return {
    first: () => new Map(first),
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
