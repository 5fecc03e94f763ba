// A local collector (embedded store, through the test lab) and probes run at
// their default settings against it: the bundled probe (plain `node` on
// dist/spamtrace-probe.cjs) or the sources (`node --import tsx probe/cli.ts`).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROBE_BUNDLE } from "../../scripts/build-bundles.js";
import { REPO_ROOT } from "../../scripts/package-info.js";
import { makeLab, type Lab } from "../../test/setup/spamtrace-lab.js";

export type ProbeKind = "bundle" | "source";

/** Starts a collector for these host ids. */
export async function startCollector(hostIds: string[]): Promise<Lab> {
  const lab = await makeLab({ store: "embedded", probeHostIds: hostIds, ports: [25] });
  await lab.startCollector();
  return lab;
}

/**
 * Writes a probe config holding only what a deployment must say (host id,
 * collector, certificates, spool, the MTA's log) plus `extra`; every other key
 * keeps its default. /metrics on metricsPort (the default 7445 may be taken).
 */
export function writeProbeConfig(lab: Lab, hostId: string, logPath: string, metricsPort: number, extra: Record<string, unknown> = {}): string {
  const spool = join(lab.dir, `spool-${hostId}`);
  mkdirSync(spool, { recursive: true });
  const file = join(lab.dir, `bench-probe-${hostId}.json`);
  const config = {
    hostId,
    collector: { address: `127.0.0.1:${lab.grpcPort}`, certsDir: lab.certsDir, serverName: "localhost" },
    spool: { dir: spool },
    mta: { kind: "postfix", logPaths: [logPath] },
    metrics: { port: metricsPort },
  } as Record<string, unknown>;
  // One level deep, so that `extra.mta` can set one key and keep the log paths.
  for (const [key, value] of Object.entries(extra)) {
    const base = config[key];
    config[key] = isPlainObject(base) && isPlainObject(value) ? { ...base, ...value } : value;
  }
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A probe process started by startProbe. */
export interface BenchProbe {
  child: ChildProcess;
  startedAtMs: number;
  /** Everything it wrote on stderr (its logs). */
  stderr: () => string;
  stop(): Promise<void>;
}

/** Node flags of the systemd unit (deploy/systemd/spamtrace-probe.service), read from its ExecStart. */
export function unitNodeFlags(unitText: string): string[] {
  const exec = /^ExecStart=\S*node(\s[^\n]*)$/m.exec(unitText)?.[1] ?? "";
  return exec.trim().split(/\s+/).filter((arg) => arg.startsWith("--") && !arg.startsWith("--config"));
}

/** Environment variables of the systemd unit (its `Environment=NAME=value` lines). */
export function unitEnvironment(unitText: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of unitText.matchAll(/^Environment=(?:"?)([A-Za-z_][A-Za-z0-9_]*)=([^"\n]*)"?$/gm)) env[m[1]!] = m[2]!;
  return env;
}

/** Spawns a probe: `kind` picks the bundle or the sources; nodeFlags go before the script. */
export function startProbe(kind: ProbeKind, configFile: string, nodeFlags: readonly string[], env: NodeJS.ProcessEnv = {}, nice?: number): BenchProbe {
  const script = kind === "bundle" ? [PROBE_BUNDLE] : ["--import", "tsx", join(REPO_ROOT, "probe/cli.ts")];
  const command = [process.execPath, ...nodeFlags, ...script, "run", "--config", configFile];
  // nice(1) execs node: the pid stays the probe's.
  const [program, ...args] = nice === undefined ? command : ["nice", "-n", String(nice), ...command];
  const child = spawn(program!, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-200_000);
  });
  return {
    child,
    startedAtMs: Date.now(),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The probe's socket table reads so far (spamtrace_probe_socket_samples_total, ok), from its /metrics. */
export async function tableReads(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return Number(/^spamtrace_probe_socket_samples_total\{result="ok"\} (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** TCP connections opened by this host's processes so far (ActiveOpens of /proc/net/snmp). */
export function hostActiveOpens(): number {
  const lines = readFileSync("/proc/net/snmp", "latin1").split("\n").filter((l) => l.startsWith("Tcp: "));
  return Number(lines[1]!.split(" ")[lines[0]!.split(" ").indexOf("ActiveOpens")]);
}

/** The 1-minute load average: other work on the machine delays the probe's ticks. */
export function loadAverage(): string {
  return readFileSync("/proc/loadavg", "latin1").split(" ").slice(0, 3).join(" ");
}
