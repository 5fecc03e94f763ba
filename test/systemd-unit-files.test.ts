// The shipped systemd units pass `systemd-analyze verify` without a single warning, and their
// `systemd-analyze security` exposure stays at what docs/deploy-requirements.md reports. systemd is not
// PID 1 here (nor in CI) but systemd-analyze works on unit files offline.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./setup/cli-process.js";

const run = promisify(execFile);

/** Exposure ceilings: measured 2.2 (probe: CAP_SYS_PTRACE, adm, host network) and 1.2 (collector). */
const UNITS = [
  { name: "spamtrace-probe.service", maxExposure: 2.2 },
  { name: "spamtrace-collector.service", maxExposure: 1.2 },
];

async function analyze(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run("systemd-analyze", args);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe("systemd unit files", () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync("/usr/bin/systemd-analyze")) throw new Error("systemd-analyze is missing (Debian package systemd)");
    // verify also checks that ExecStart's executable exists. Where node is not /usr/bin/node (a CI image
    // with its own Node), the copy names this machine's node instead; every other line is verified as shipped.
    dir = await mkdtemp(join(tmpdir(), "spamtrace-units-"));
    for (const { name } of UNITS) {
      const text = await readFile(join(REPO_ROOT, "deploy/systemd", name), "utf8");
      const node = existsSync("/usr/bin/node") ? "/usr/bin/node" : process.execPath;
      await writeFile(join(dir, name), text.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${node} `));
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(UNITS)("$name: systemd-analyze verify prints nothing and succeeds", async ({ name }) => {
    expect(await analyze(["verify", join(dir, name)])).toEqual({ code: 0, output: "" });
  });

  it.each(UNITS)("$name: systemd-analyze security exposure <= $maxExposure", async ({ name, maxExposure }) => {
    const { output } = await analyze(["security", "--offline=yes", "--no-pager", join(dir, name)]);
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(output)?.[1]);
    console.log(`${name}: exposure ${exposure}`);
    expect(exposure).toBeLessThanOrEqual(maxExposure);
  });
});
