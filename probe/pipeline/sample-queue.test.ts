import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MtaDetection } from "../collect/mta/mta-detection.js";
import type { CommandRunner } from "../collect/run-command.js";
import { queueMoved, sampleQueue } from "./sample-queue.js";

// The sampler on a Postfix spool laid out under a folder standing for "/",
// with `postqueue -j` answered from the same files: a listing at start, none
// while the count stays, one as soon as the count moved.
let root: string;
let written = 0;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "spamtrace-sample-queue-"));
  for (const q of ["active", "deferred/A", "hold", "incoming", "maildrop"]) mkdirSync(join(root, "var/spool/postfix", q), { recursive: true });
  written = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const queueFiles = (n: number): void => {
  for (let i = 0; i < n; i++) writeFileSync(join(root, "var/spool/postfix/deferred/A", `A${(written++).toString(16).toUpperCase().padStart(9, "0")}`), "");
};
const detection: MtaDetection = { kind: "postfix", version: "3.7", binaryPaths: ["/usr/sbin/postqueue"], logPaths: [], queuePath: "/var/spool/postfix", evidence: [] };
const listings: number[] = [];
/** postqueue -j over the files written so far. */
const run: CommandRunner = async (_cmd, _args, opts) => {
  listings.push(written);
  for (let i = 0; i < written; i++) {
    opts.onStdoutLine?.(JSON.stringify({ queue_name: "deferred", queue_id: `A${i}`, arrival_time: 1_800_000_000, message_size: 500, sender: "spam@example.org", recipients: [{ address: `r${i}@example.com`, delay_reason: "connect refused" }] }));
  }
  return { code: 0, stdout: "", stderr: "" };
};

/** Polls every 10 ms until `probe` gives a value, for at most 5 s. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 10))) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("sampleQueue", () => {
  it("lists at start, then only when the cheap count moved", async () => {
    listings.length = 0;
    queueFiles(3);
    const sampler = sampleQueue({ mta: detection, run, intervalMs: 3_600_000, checkIntervalMs: 20, logger: pino({ level: "silent" }), fsRoot: root });
    try {
      const first = await waitFor("the listing at start", async () => sampler.take()[0]);
      expect(first.total).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, 200)); // ten counts of an unchanged queue
      expect(listings).toEqual([3]);
      queueFiles(40);
      const surge = await waitFor("a listing after the count moved", async () => sampler.take().find((s) => s.total === 43));
      expect(surge.byQueue.deferred).toBe(43);
      expect(listings).toEqual([3, 43]);
    } finally {
      sampler.stop();
    }
  });
});

describe("queueMoved", () => {
  it.each([
    [0, 0, false],
    [0, 1, true],
    [5, 6, true],
    [500, 549, false],
    [500, 550, true],
    [500, 450, true],
    [10_000, 10_900, false],
  ])("listed %i, counted %i → list again: %s", (listed, counted, moved) => {
    expect(queueMoved(listed, counted)).toBe(moved);
  });
});
