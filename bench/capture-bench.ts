// Benchmark (issue 13, target 2): share of short outbound SMTP sessions the
// probe sees with the right pid, exe and cwd.
//   npm run bench:capture [-- --processes N --per-second N --scale N --node-flags='...' --nice=N --host-netns]
// With 2,000 extra fd-holding processes on the host, throwaway processes
// (bash, each in its own working folder) connect to a loopback listener on a
// port the bundled probe watches and hold the session 0.1, 0.25, 0.5, 1 or
// 5 s; the probe runs at its default settings (only sockets.ports set) against
// a local collector. The sessions the collector stored (socket_snapshots,
// outbound) are matched to the processes by pid, exe and cwd. Prints the share
// per duration and the probe's RSS and CPU over the run, figures last.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/setup/free-port.js";
import { hostActiveOpens, loadAverage, startCollector, startProbe, tableReads, writeProbeConfig } from "./footprint/bench-probe.js";
import { enterPrivateNetns, netnsLabel } from "./footprint/private-netns.js";
import { startFdHolders } from "./footprint/host-load.js";
import { cpuSeconds, rssMb, sleep } from "./footprint/process-usage.js";
import { unitNodeFlags } from "./footprint/bench-probe.js";
import { REPO_ROOT } from "../scripts/package-info.js";

enterPrivateNetns();

const { values } = parseArgs({
  options: {
    /** Stay in the host's network namespace (default: a namespace of the bench's own, see footprint/private-netns.ts). */
    "host-netns": { type: "boolean" },
    processes: { type: "string", default: "2000" },
    "per-second": { type: "string", default: "4" },
    /** Multiplies the session counts (1: 200, 100, 60, 30, 10 sessions). */
    scale: { type: "string", default: "1" },
    /** Extra node flags for the probe (e.g. --cpu-prof), space-separated. */
    "node-flags": { type: "string", default: "" },
    /** Run the probe at this nice value (e.g. -15, root only): shields it from other work on a shared machine. */
    nice: { type: "string" },
  },
  strict: true,
});
const BUCKETS: Array<[number, number]> = [
  [0.1, 200],
  [0.25, 100],
  [0.5, 60],
  [1, 30],
  [5, 10],
];
const scale = Number(values.scale);
const bash = realpathSync("/bin/bash");

interface Session {
  seconds: number;
  cwd: string;
  pid: number | undefined;
}

const cleanups: Array<() => Promise<void> | void> = [];
async function cleanup(): Promise<void> {
  for (const step of cleanups.reverse()) await step();
  cleanups.length = 0;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cleanup().then(() => process.exit(130)));

const sessions: Session[] = [];
let usage = { rssMax: 0, rssSamples: [] as number[], cpu: 0, seconds: 0 };
let stored: Array<{ pid: number; exe: string; cwd: string }> = [];
let context = "";
try {
  const holders = await startFdHolders(Number(values.processes));
  cleanups.push(() => holders.stop());
  console.log(`${holders.pids.length} processes hold ${holders.fds} fds`);
  // The SMTP side: accepts and keeps each connection until the client closes it.
  const accepted = new Set<Socket>();
  const server = createServer((socket) => {
    accepted.add(socket);
    socket.on("error", () => undefined).on("close", () => accepted.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as AddressInfo).port;
  const lab = await startCollector(["bench-capture"]);
  cleanups.push(() => lab.close());
  const logPath = join(lab.dir, "mail.log");
  writeFileSync(logPath, "");
  const metricsPort = await freePort();
  const config = writeProbeConfig(lab, "bench-capture", logPath, metricsPort, { sockets: { ports: [port] } });
  const unitFlags = unitNodeFlags(readFileSync(join(REPO_ROOT, "deploy/systemd/spamtrace-probe.service"), "utf8"));
  const nice = values.nice === undefined ? undefined : Number(values.nice);
  const probe = startProbe("bundle", config, [...unitFlags, ...values["node-flags"].split(" ").filter(Boolean)], {}, nice);
  cleanups.push(() => probe.stop());
  for (let i = 0; i < 300 && !probe.stderr().includes("probe started"); i++) await sleep(100);
  if (!probe.stderr().includes("probe started")) throw new Error(`probe did not start: ${probe.stderr().slice(-2000)}`);
  // The first sample searches every process for the owners of the sockets already open (seconds on a loaded host).
  for (let i = 0; i < 600 && !((await tableReads(metricsPort)) > 0); i++) await sleep(100);
  await sleep(1000);

  const plan: number[] = [];
  for (const [seconds, count] of BUCKETS) for (let i = 0; i < Math.round(count * scale); i++) plan.push(seconds);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  const cpu0 = cpuSeconds(probe.child.pid!);
  const reads0 = await tableReads(metricsPort);
  const opens0 = hostActiveOpens();
  const t0 = performance.now();
  const gapMs = 1000 / Number(values["per-second"]);
  const running: Array<Promise<void>> = [];
  console.log(`${plan.length} sessions to 127.0.0.1:${port}, one every ${gapMs} ms`);
  for (const [n, seconds] of plan.entries()) {
    const cwd = join(lab.dir, "sessions", String(n));
    mkdirSync(cwd, { recursive: true });
    const child = spawn(bash, ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}; read -t ${seconds} -u 3; exit 0`], { cwd, stdio: "ignore" });
    sessions.push({ seconds, cwd, pid: child.pid });
    running.push(new Promise((resolve) => child.once("exit", () => resolve())));
    if (n % 10 === 0) usage.rssSamples.push(rssMb(probe.child.pid!));
    await sleep(gapMs);
  }
  await Promise.all(running);
  usage.cpu = cpuSeconds(probe.child.pid!) - cpu0;
  usage.seconds = (performance.now() - t0) / 1000;
  const readsPerSecond = ((await tableReads(metricsPort)) - reads0) / usage.seconds;
  context = `${readsPerSecond.toFixed(1)} socket table reads/s (host: ${((hostActiveOpens() - opens0) / usage.seconds).toFixed(1)} TCP connections opened/s); load average ${loadAverage()}`;
  usage.rssMax = Math.max(...usage.rssSamples);
  // Two snapshot intervals (10 s by default) for the last sessions to be stored.
  await sleep(22_000);
  stored = (await lab.sql<{ pid: string; exe: string; cwd: string }>(
    `SELECT DISTINCT pid, exe, cwd FROM ${lab.database}.socket_snapshots WHERE host_id = 'bench-capture' AND direction = 'outbound' AND remote_port = ${port}`,
  )).map((r) => ({ pid: Number(r.pid), exe: r.exe, cwd: r.cwd }));
} finally {
  await cleanup();
}

const byPid = new Map(stored.map((r) => [r.pid, r]));
console.log(`\n== capture (${values.processes} extra processes, ${values["per-second"]} sessions/s, ${netnsLabel()}, bundled probe at default settings${values.nice === undefined ? "" : `, nice ${values.nice}`}) ==`);
for (const [seconds] of BUCKETS) {
  const bucket = sessions.filter((s) => s.seconds === seconds);
  const right = bucket.filter((s) => {
    const row = s.pid === undefined ? undefined : byPid.get(s.pid);
    return row !== undefined && row.exe === bash && row.cwd === s.cwd;
  }).length;
  const anyPid = bucket.filter((s) => s.pid !== undefined && byPid.has(s.pid)).length;
  console.log(`${String(seconds).padStart(4)} s: ${right}/${bucket.length} = ${((right / bucket.length) * 100).toFixed(1)} % seen with the right pid, exe and cwd (${anyPid} with the pid)`);
}
const sorted = [...usage.rssSamples].sort((a, b) => a - b);
console.log(`probe during the sessions: RSS max ${usage.rssMax.toFixed(1)} MB, median ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)} MB; CPU ${((usage.cpu / usage.seconds) * 100).toFixed(2)} % of one core over ${usage.seconds.toFixed(0)} s; ${context}`);
