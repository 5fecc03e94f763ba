import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ensureDebianPackages, TEST_DEBIAN_PACKAGES } from "./apt-packages.js";
import { ensureEximUnpacked } from "./mta/exim-lab.js";
import { takeFailureDigest } from "./failure-diagnostics.js";
import { ensureNode18 } from "./node18.js";
import { stopLeftovers } from "./leftovers.js";
import { TEST_RUN_ENV } from "./test-run.js";

/**
 * Installs, once and before any test file runs, everything from Debian the
 * integration tests use (see TEST_DEBIAN_PACKAGES; Exim is unpacked beside
 * Postfix, never installed). Each test file starts and stops its own servers
 * on loopback ports of their own.
 *
 * Marks the run (SPAMTRACE_TEST_RUN, inherited by workers and the servers they
 * start) and, at the end, pass or fail, stops any server of this run still
 * running and fails the run naming it.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const runId = `${process.pid}-${randomBytes(4).toString("hex")}`;
  process.env[TEST_RUN_ENV] = runId;
  await ensureDebianPackages(TEST_DEBIAN_PACKAGES);
  await ensureEximUnpacked();
  await ensureNode18(); // the probe bundle must run on Debian 12's Node 18
  return async () => {
    // Last in the output, where CI's shortened copy of it still shows it.
    const digest = takeFailureDigest(runId);
    if (digest !== "") console.error(`\n===== what the failed tests' labs printed (first failure of each file) =====\n${digest}`);
    try {
      await stopLeftovers(runId);
    } catch (error) {
      // vitest logs an error thrown here but still exits 0: fail the run ourselves.
      process.exitCode = 1;
      throw error;
    } finally {
      await rm(path.join(os.tmpdir(), `spamtrace-test-run-${runId}.dirs`), { force: true });
    }
  };
}
