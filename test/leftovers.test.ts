import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stopLeftovers } from "./setup/leftovers.js";
import { pidAlive } from "./setup/mta/lab-common.js";
import { findRunProcesses, registerServerDir, TEST_RUN_ENV, testRunId } from "./setup/test-run.js";
import { waitFor } from "./setup/wait-for.js";

// The global setup's end-of-run check: it must find a server a test left
// running — by the run's marker or by a registered folder — and only this
// run's servers.
describe("leftover servers after a run", () => {
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  });

  function daemon(env: NodeJS.ProcessEnv, cwd?: string): number {
    // detached + unref: re-parented away from the runner, as a daemon is.
    const child = spawn("sleep", ["120"], { env, cwd, detached: true, stdio: "ignore" });
    child.unref();
    started.push(child.pid!);
    return child.pid!;
  }

  it("the run marker reaches the test workers (so servers they start carry it)", () => {
    expect(testRunId()).toMatch(/^\d+-[0-9a-f]{8}$/);
  });

  it("finds a process carrying a run's marker or naming its folder, not another run's, and stops them", async () => {
    const runId = `leftover-test-${process.pid}`;
    const otherRun = `${runId}-other`;
    const dir = await mkdtemp(path.join(os.tmpdir(), "spamtrace-leftover-"));
    const saved = process.env[TEST_RUN_ENV];
    try {
      const marked = daemon({ ...process.env, [TEST_RUN_ENV]: runId });
      const other = daemon({ ...process.env, [TEST_RUN_ENV]: otherRun });
      // Like Postfix's master: environment scrubbed, but it runs in the lab's folder.
      const inFolder = daemon({ PATH: process.env.PATH }, dir);
      process.env[TEST_RUN_ENV] = runId;
      registerServerDir(dir);

      // The daemons here are this worker's children; a real leftover has outlived its worker.
      const self = new Set([process.pid]);
      const found = findRunProcesses(runId, self).map((p) => p.pid);
      expect(found).toContain(marked);
      expect(found).toContain(inFolder);
      expect(found).not.toContain(other);
      expect(found).not.toContain(process.pid);

      await expect(stopLeftovers(runId, self)).rejects.toThrow(new RegExp(`left 2 process\\(es\\) running \\(now stopped\\):[\\s\\S]*pid ${marked}`));
      await waitFor("leftovers gone", async () => (!pidAlive(marked) && !pidAlive(inFolder) ? true : undefined), 10_000);
      expect(pidAlive(other)).toBe(true);
      await expect(stopLeftovers(runId, self)).resolves.toBeUndefined();
    } finally {
      process.env[TEST_RUN_ENV] = saved;
      await rm(path.join(os.tmpdir(), `spamtrace-test-run-${runId}.dirs`), { force: true });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
