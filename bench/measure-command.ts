// One measured run of a command for bench:parse: wall time, CPU time (user +
// system, which other processes competing for the cores do not inflate the
// way they inflate wall time) and peak RSS, from GNU time (/usr/bin/time).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const GNU_TIME = "/usr/bin/time";

/** What one run measured. */
export interface Measured {
  wallMs: number;
  cpuMs: number;
  /** Peak resident set size, MB (10^6 bytes). */
  peakRssMb: number;
}

/** The command's stdout goes to /dev/null; throws with its stderr when it fails. */
export function measure(cmd: string[], env: NodeJS.ProcessEnv = process.env): Measured {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing (Debian package "time"): it measures peak RSS`);
  const out = join(tmpdir(), `spamtrace-bench-time-${process.pid}`);
  const t = performance.now();
  const r = spawnSync(GNU_TIME, ["-o", out, "-f", "%U %S %M", ...cmd], { encoding: "utf8", env, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  const wallMs = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const fields = readFileSync(out, "utf8").trim().split("\n").at(-1)?.split(" ").map(Number) ?? [];
  rmSync(out, { force: true });
  const [user = NaN, sys = NaN, rssKb = NaN] = fields;
  return { wallMs, cpuMs: (user + sys) * 1000, peakRssMb: (rssKb * 1024) / 1e6 };
}

/** Median of non-empty numbers. */
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

/** Medians of runs: wall, CPU, peak RSS. */
export function medians(runs: Measured[]): Measured {
  return { wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)), peakRssMb: median(runs.map((r) => r.peakRssMb)) };
}
