// One integration run's identity, so that after the run every server it
// started can be found and stopped — and only those: a developer may run
// another suite at the same time on the same machine.
//
// Global setup puts SPAMTRACE_TEST_RUN=<id> into the environment, which the
// test workers and most servers they spawn inherit. Postfix scrubs its
// environment (import_environment), so lab folders are registered too: a
// process whose command line or environment names a registered folder
// belongs to the run.
import { appendFileSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Environment variable carrying the run id. */
export const TEST_RUN_ENV = "SPAMTRACE_TEST_RUN";

/** The current run id, or undefined outside an integration run. */
export function testRunId(): string | undefined {
  return process.env[TEST_RUN_ENV];
}

function registryFile(runId: string): string {
  return path.join(os.tmpdir(), `spamtrace-test-run-${runId}.dirs`);
}

/** Records a folder whose servers belong to this run (a lab's working folder). */
export function registerServerDir(dir: string): void {
  const runId = testRunId();
  if (runId !== undefined) appendFileSync(registryFile(runId), `${dir}\n`);
}

/** Folders registered by this run's workers. */
export function registeredServerDirs(runId: string): string[] {
  try {
    return readFileSync(registryFile(runId), "utf8").split("\n").filter((l) => l.length > 0);
  } catch {
    return [];
  }
}

/** A process left running by a run. */
export interface LeftoverProcess {
  pid: number;
  cmdline: string;
  /** Why it counts as the run's: the marker or the registered folder it names. */
  reason: string;
}

function readNulFile(file: string): string {
  try {
    return readFileSync(file, "latin1").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}

/** Processes (other than `exceptPids`) that carry the run's marker or name one of its folders. */
export function findRunProcesses(runId: string, exceptPids: ReadonlySet<number> = new Set()): LeftoverProcess[] {
  const marker = `${TEST_RUN_ENV}=${runId}`;
  const dirs = registeredServerDirs(runId);
  const found: LeftoverProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || exceptPids.has(pid)) continue;
    const cmdline = readNulFile(`/proc/${pid}/cmdline`);
    if (cmdline === "") continue; // kernel thread or gone
    const environ = ` ${readNulFile(`/proc/${pid}/environ`)} `;
    let cwd = "";
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone, or not ours to read
    }
    if (environ.includes(` ${marker} `)) {
      found.push({ pid, cmdline, reason: marker });
      continue;
    }
    // Paths inside the folder: `<dir>/`, so postfix-lab-12 never matches postfix-lab-123.
    const dir = dirs.find((d) => cmdline.includes(`${d}/`) || environ.includes(`${d}/`) || cwd === d || cwd.startsWith(`${d}/`));
    if (dir !== undefined) found.push({ pid, cmdline, reason: `names ${dir}` });
  }
  return found;
}

function parentOf(pid: number): number | undefined {
  const stat = readNulFile(`/proc/${pid}/stat`);
  const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** Parts of a command line that mark the test runner's own helpers (its workers, esbuild's service). */
const RUNNER_PARTS = ["/node_modules/vitest/", "/node_modules/tinypool/", "/node_modules/esbuild/", "/node_modules/@esbuild/"];

/**
 * The test runner, its ancestors and the runner's own helper processes below
 * it (workers, esbuild): never leftovers, though they carry the marker. A
 * server a test started is a leftover even while its worker lives.
 */
export function runnerProcesses(): Set<number> {
  const pids = new Set<number>();
  for (let pid: number | undefined = process.pid; pid !== undefined && pid > 1 && !pids.has(pid); pid = parentOf(pid)) pids.add(pid);
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const cmdline = readNulFile(`/proc/${pid}/cmdline`);
    if (RUNNER_PARTS.some((part) => cmdline.includes(part)) && descendsFrom(pid, process.pid)) pids.add(pid);
  }
  return pids;
}

function descendsFrom(pid: number, ancestor: number): boolean {
  const seen = new Set<number>();
  for (let p: number | undefined = parentOf(pid); p !== undefined && p > 1 && !seen.has(p); p = parentOf(p)) {
    if (p === ancestor) return true;
    seen.add(p);
  }
  return false;
}
