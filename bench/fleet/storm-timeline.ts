// What each side does during a reconnect storm, every 5 s: streams back,
// acknowledgements, the collector's CPU, the generator's CPU (its probe
// workers), the ClickHouse server's CPU, and the kernel's count of
// connections dropped from the collector's full accept queue. It tells
// whether the storm waits on the collector, on the generator sharing CPU 1
// with ClickHouse, or on SYN retransmissions.
import { readdir, readFile } from "node:fs/promises";
import { processUsage } from "./collector-process.js";

const EVERY_MS = 5000;

/** TcpExtListenOverflows from /proc/net/netstat: connections dropped because a listener's accept queue was full. */
async function listenOverflows(): Promise<{ overflows: number }> {
  const text = await readFile("/proc/net/netstat", "utf8");
  const lines = text.split("\n").filter((l) => l.startsWith("TcpExt:"));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const get = (name: string): number => Number(values[names.indexOf(name)] ?? 0);
  return { overflows: get("ListenOverflows") };
}

/** The pid of the process whose command line holds `needle` (the ClickHouse server started in its own folder). */
async function pidByCmdline(needle: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(needle) && cmdline.includes("clickhouse")) return Number(entry);
  }
  return undefined;
}

async function cpuSeconds(pids: readonly number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) total += (await processUsage(pid))?.cpuS ?? 0;
  return total;
}

/** Starts the timeline; tick() returns a line every 5 s, else undefined. */
export async function stormTimeline(collectorPid: number, workerPids: readonly number[], clickhouseDir: string | undefined) {
  const clickhousePid = clickhouseDir ? await pidByCmdline(clickhouseDir) : undefined;
  const sample = async () => ({
    at: Date.now(),
    collector: await cpuSeconds([collectorPid]),
    generator: await cpuSeconds(workerPids),
    clickhouse: clickhousePid ? await cpuSeconds([clickhousePid]) : 0,
    ...(await listenOverflows()),
  });
  let last = await sample();
  return {
    async tick(welcomed: number, acked: number, unacked: number): Promise<string | undefined> {
      if (Date.now() - last.at < EVERY_MS) return undefined;
      const now = await sample();
      const pct = (a: number, b: number): string => `${(((b - a) * 100_000) / (now.at - last.at)).toFixed(0)}%`;
      const line =
        `${welcomed} streams up, ${acked} acked, ${unacked} unacked; CPU collector ${pct(last.collector, now.collector)}, ` +
        `generator ${pct(last.generator, now.generator)}, clickhouse ${pct(last.clickhouse, now.clickhouse)}; ` +
        `accept-queue overflows +${now.overflows - last.overflows}`;
      last = now;
      return line;
    },
  };
}
