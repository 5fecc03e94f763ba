// The collector under test in the fleet benchmark: `spamtrace serve` as a
// child process (pinned to its own CPU when the machine has several), its
// output in a log file, its CPU time and RSS read from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../../test/setup/cli-process.js";
import { unitNodeFlags } from "../footprint/bench-probe.js";

/** How to start one collector. */
export interface CollectorProcessOptions {
  dir: string;
  name: string;
  grpcPort: number;
  adminPort: number;
  certsDir: string;
  store: { url: string } | { dataDir: string };
  maxStreams: number;
  /** CPUs for taskset, e.g. "0"; undefined: not pinned. */
  cpus: string | undefined;
  /** Folder for --cpu-prof output; undefined: no profile. */
  cpuProfDir: string | undefined;
  /** Collector `limits` keys besides maxStreams (e.g. streamBurstRows). */
  limits?: Record<string, number>;
  /** Node/V8 flags before the script; default: those of the shipped unit (collectorUnitNodeFlags). */
  nodeFlags?: readonly string[];
  /** Plaintext gRPC (grpc.insecure: no TLS, no client certificates), for the bench's --plaintext. */
  insecure?: boolean;
  /** Extra collector config merged over the defaults (top-level sections). */
  extra?: Record<string, unknown>;
}

/** CPU time (user+system, seconds) and resident memory (MB) of a process, from /proc. */
export async function processUsage(pid: number): Promise<{ cpuS: number; rssMb: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuS: ticks / 100, rssMb: rssKb / 1024 };
  } catch {
    return undefined;
  }
}

/** The node flags of deploy/systemd/spamtrace-collector.service's ExecStart, so that the benchmark measures the collector as it ships. */
export async function collectorUnitNodeFlags(): Promise<string[]> {
  return unitNodeFlags(await readFile(path.join(REPO_ROOT, "deploy/systemd/spamtrace-collector.service"), "utf8"));
}

/** A collector child process that can be killed and started again on the same config. */
export class CollectorProcess {
  private child: ChildProcess | undefined;
  private starts = 0;
  readonly configFile: string;
  readonly logFile: string;

  constructor(private readonly opts: CollectorProcessOptions) {
    this.configFile = path.join(opts.dir, `${opts.name}.json`);
    this.logFile = path.join(opts.dir, `${opts.name}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Writes the config and starts the process; resolves once it listens. */
  async start(): Promise<void> {
    const o = this.opts;
    const config = {
      collectorId: o.name,
      grpc: { host: "127.0.0.1", port: o.grpcPort, certsDir: o.certsDir, ...(o.insecure === true ? { insecure: true } : {}) },
      admin: { host: "127.0.0.1", port: o.adminPort, tokenFile: path.join(o.dir, `${o.name}.token`) },
      store: { database: "spamtrace", ...o.store },
      limits: { maxStreams: o.maxStreams, ...o.limits },
      detect: { intervalMs: 10_000 },
      ...o.extra,
    };
    await writeFile(this.configFile, JSON.stringify(config, null, 2));
    this.starts++;
    const nodeArgs = [
      ...(o.nodeFlags ?? (await collectorUnitNodeFlags())),
      ...(o.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", o.cpuProfDir, "--cpu-prof-name", `${o.name}-${this.starts}.cpuprofile`] : []),
      path.join(REPO_ROOT, "bin/spamtrace.js"),
      "serve",
      "--config",
      this.configFile,
    ];
    const [command, args] = o.cpus !== undefined && os.availableParallelism() > 1 ? ["taskset", ["-c", o.cpus, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
    const log = createWriteStream(this.logFile, { flags: "a" });
    const child = spawn(command as string, args as string[], { cwd: o.dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SPAMTRACE_LOG_LEVEL: process.env.SPAMTRACE_LOG_LEVEL ?? "info" } });
    this.child = child;
    let text = "";
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${o.name} did not start within 120 s; see ${this.logFile}`)), 120_000);
      const onData = (chunk: Buffer): void => {
        log.write(chunk);
        if (text.length < 200_000) text += chunk.toString("utf8");
        if (/collector listening/.test(text)) {
          clearTimeout(timer);
          text = "";
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${o.name} exited (${code ?? signal}) before listening; see ${this.logFile}`));
      });
    });
    await listening;
  }

  /** Kills the process (SIGKILL: a crash; SIGTERM: a clean stop) and waits for its exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  }
}
