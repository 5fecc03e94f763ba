import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCliToEnd } from "./setup/cli-process.js";
import { freePort } from "./setup/free-port.js";
import { waitFor } from "./setup/wait-for.js";

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | string>;
}

// The README's first command, as a newcomer meets it: a run that comes up,
// answers queries from any folder and stops once on Ctrl-C; a second run that
// must not mistake the first run's log lines for its own; a child that dies
// reported with its last log lines.
describe("deploy/dev/quickstart.sh", () => {
  let varDir: string;
  let elsewhere: string;
  let ports: Record<string, string>;

  beforeAll(async () => {
    varDir = await mkdtemp(join(tmpdir(), "spamtrace-quickstart-"));
    elsewhere = await mkdtemp(join(tmpdir(), "spamtrace-analyst-"));
    ports = {
      QUICKSTART_GRPC_PORT: String(await freePort()),
      QUICKSTART_ADMIN_PORT: String(await freePort()),
      QUICKSTART_PROBE_METRICS_PORT: String(await freePort()),
    };
  });
  afterAll(async () => {
    await rm(varDir, { recursive: true, force: true });
    await rm(elsewhere, { recursive: true, force: true });
  });

  function quickstart(env: Record<string, string> = {}): Run {
    const child = spawn("bash", [`${REPO_ROOT}deploy/dev/quickstart.sh`], {
      cwd: elsewhere,
      env: { ...process.env, QUICKSTART_VAR: varDir, ...ports, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | string>((resolve) => child.once("exit", (code, sig) => resolve(code ?? sig ?? "unknown")));
    return { child, output: () => out, exited };
  }

  it("comes up, answers `spamtrace sql` from another folder, and stops once on Ctrl-C leaving nothing running", async () => {
    const run = quickstart();
    await waitFor("spamtrace is running", async () => (run.output().includes("spamtrace is running") ? true : undefined), 120_000, 250);
    const sql = await runCliToEnd("spamtrace", ["sql", "--json", "SELECT count() AS n FROM hosts"], { cwd: elsewhere, env: { SPAMTRACE_CONFIG: join(varDir, "collector.yaml") } });
    expect(sql.stderr).toBe("");
    expect(Number((JSON.parse(sql.stdout) as { n: string }).n)).toBe(1);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(run.output().match(/quickstart:.* stopping/g)).toHaveLength(1);
    await waitFor("the collector and probe gone", async () => (processesUsing(varDir).length === 0 ? true : undefined), 15_000);
  }, 180_000);

  it("on a second run, waits for this run's collector: a collector that cannot start is reported with its last log lines", async () => {
    // The previous run's "collector listening" is still in collector.log.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(ports.QUICKSTART_GRPC_PORT), "127.0.0.1", resolve));
    try {
      const run = quickstart();
      expect(await run.exited).toBe(1);
      expect(run.output()).not.toContain("spamtrace is running");
      expect(run.output()).toMatch(/the collector exited \(status \d+\); last lines of .*collector\.log:/);
      expect(run.output()).toMatch(/EADDRINUSE|address already in use|No address added/i);
    } finally {
      blocker.close();
    }
  }, 180_000);

  it("reports a probe that dies with its last log lines and stops the collector", async () => {
    const run = quickstart({ SPAMTRACE_PROBE_SOCKETS__PORTS: "[0]" });
    expect(await run.exited).toBe(1);
    expect(run.output()).not.toContain("spamtrace is running");
    expect(run.output()).toMatch(/the probe exited \(status \d+\); last lines of .*probe\.log:[\s\S]*sockets\.ports/);
    expect(run.output().match(/quickstart:.* stopping/g)).toHaveLength(1);
    await waitFor("the collector gone", async () => (processesUsing(varDir).length === 0 ? true : undefined), 15_000);
  }, 180_000);

  it("refuses its old knob names, which are the probe's config namespace", async () => {
    const run = quickstart({ SPAMTRACE_PROBE_METRICS_PORT: "7999" });
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain("SPAMTRACE_PROBE_METRICS_PORT is not a quickstart knob");
    expect(run.output()).toContain("QUICKSTART_PROBE_METRICS_PORT");
  });
});

/** Processes whose command line names the folder: everything the script started does. */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(dir)) pids.push(pid);
    } catch {
      // gone
    }
  }
  return pids;
}
