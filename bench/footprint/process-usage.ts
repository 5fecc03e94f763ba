// RSS and CPU time of a running process, read from /proc like `ps` does.
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/PID/stat times (USER_HZ: 100 on every Linux build in use). */
const CLOCK_TICKS = 100;

/** CPU time (user + system, including waited-for children) of pid, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14-17 (utime, stime, cutime, cstime) sit at 11-14 after "pid (comm) ".
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / CLOCK_TICKS;
}

/** Resident set size of pid, in MB (VmRSS). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) / 1024;
}

/** What watchProcess measured. */
export interface ProcessUsage {
  rssMaxMb: number;
  rssMedianMb: number;
  /** CPU seconds over wall seconds of the measured window, in % of one core. */
  cpuPercent: number;
  /** The same from the process's start (start-up included). */
  cpuPercentWithStartup: number;
  seconds: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Watches pid: after warmupMs, samples its RSS every second for measureMs and
 * takes its CPU time at both ends. startedAtMs is when it was spawned.
 */
export async function watchProcess(pid: number, startedAtMs: number, warmupMs: number, measureMs: number): Promise<ProcessUsage> {
  await sleep(warmupMs);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const rss: number[] = [];
  while (performance.now() - t0 < measureMs) {
    rss.push(rssMb(pid));
    await sleep(1000);
  }
  const cpu1 = cpuSeconds(pid);
  const seconds = (performance.now() - t0) / 1000;
  return {
    rssMaxMb: Math.max(...rss),
    rssMedianMb: median(rss),
    cpuPercent: ((cpu1 - cpu0) / seconds) * 100,
    cpuPercentWithStartup: (cpu1 / ((Date.now() - startedAtMs) / 1000)) * 100,
    seconds,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
