import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import type { ParseLogOptions, ParseLogReport } from "./parse-log-command.js";

/**
 * Young generation of the parsing thread, MB (V8 makes it three semi-spaces,
 * so 12 = 4 MB semi-spaces against Node's default 16). Nearly every object a
 * line makes dies young; a smaller nursery is scavenged more often, at about
 * the same CPU time, and its pages stay resident for the whole run
 * (measured on the 1M-line bench logs: peak RSS Exim 95 -> 81 MB, Postfix
 * 110 -> 91 MB with the growing factor below).
 */
const YOUNG_GENERATION_MB = 12;

/**
 * How much V8 lets the old generation grow past what survived the last full
 * collection before collecting again (V8's default grows it up to 4x on a
 * fast-allocating run). The old generation holds the correlation state, which
 * stays small; its size is never capped (that could kill a large run).
 */
const HEAP_GROWING_PERCENT = 50;

/** The worker's script beside this module: present in the bundle (dist/), not among the TypeScript sources. */
const WORKER_SCRIPT = new URL("./parse-log-worker.js", import.meta.url);

/**
 * parseLogFiles in a worker thread whose heap is sized for a long parse:
 * Node takes the young generation's size only when a heap is made, which a
 * worker allows without node flags from the user. Runs in this thread when
 * there is no built worker script (the sources run through tsx).
 */
export async function parseLogFilesInWorker(opts: ParseLogOptions): Promise<ParseLogReport> {
  // Imported only here: with a worker, this thread never loads the parsers.
  if (!existsSync(fileURLToPath(WORKER_SCRIPT))) return (await import("./parse-log-command.js")).parseLogFiles(opts);
  // Read by V8 at each full collection, so it takes effect in the worker's heap too.
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  // With one core (`taskset`, a one-CPU container) a background compiler thread only takes turns with the
  // parser, which meanwhile runs unoptimised code: the worker's isolate (made after this) then optimises on
  // its own thread (measured pinned on the Exim bench log: 1.80 -> 1.74 s of CPU).
  if (availableParallelism() === 1) setFlagsFromString("--no-concurrent-recompilation");
  const worker = new Worker(WORKER_SCRIPT, { workerData: opts, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
  return new Promise((resolve, reject) => {
    worker.once("message", (report: ParseLogReport) => resolve(report));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`parse-log worker exited with code ${code} before its report`)));
  });
}
