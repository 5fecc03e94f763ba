import { findRunProcesses, runnerProcesses, type LeftoverProcess } from "./test-run.js";
import { pidAlive } from "./mta/lab-common.js";

const GRACE_MS = 5_000;

/**
 * Stops every process of the run that is still alive (SIGTERM, then SIGKILL
 * after a grace period) — except the test runner's own processes — and throws naming them: a test or a failed setup left
 * a server running. Leaves nothing behind either way.
 */
export async function stopLeftovers(runId: string, except: ReadonlySet<number> = runnerProcesses()): Promise<void> {
  const leftovers = findRunProcesses(runId, except);
  if (leftovers.length === 0) return;
  for (const p of leftovers) signal(p.pid, "SIGTERM");
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline && leftovers.some((p) => pidAlive(p.pid))) await new Promise((r) => setTimeout(r, 100));
  for (const p of leftovers) if (pidAlive(p.pid)) signal(p.pid, "SIGKILL");
  throw new Error(`test run ${runId} left ${leftovers.length} process(es) running (now stopped):\n${leftovers.map(describe).join("\n")}`);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function describe(p: LeftoverProcess): string {
  return `  pid ${p.pid} (${p.reason}): ${p.cmdline.slice(0, 200)}`;
}
