// Benchmark (issue 13, target 1): the probe's footprint on a loaded host.
//   npm run bench:footprint [-- --seconds N --warmup N --processes N --messages-per-hour N --only bundle|source --node-flags='...' [--without-unit-flags] --env='NAME=value ...']
// Starts 2,000 extra processes holding 26k+ fds, appends Postfix log lines at
// 10,000 messages/hour to a log the probe tails, starts a local collector
// (embedded store) and runs the bundled probe, then the source-run probe, at
// their default settings with the systemd unit's node flags; prints each one's
// RSS (max, median) and CPU share, figures last. Stops everything it started.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PROBE_BUNDLE } from "../scripts/build-bundles.js";
import { REPO_ROOT } from "../scripts/package-info.js";
import { freePort } from "../test/setup/free-port.js";
import { hostActiveOpens, loadAverage, startCollector, startProbe, tableReads, unitEnvironment, unitNodeFlags, writeProbeConfig, type ProbeKind } from "./footprint/bench-probe.js";
import { enterPrivateNetns, netnsLabel } from "./footprint/private-netns.js";
import { startFdHolders, startLogTraffic } from "./footprint/host-load.js";
import { sleep, watchProcess, type ProcessUsage } from "./footprint/process-usage.js";

enterPrivateNetns();

const { values } = parseArgs({
  options: {
    /** Stay in the host's network namespace (default: a namespace of the bench's own, see footprint/private-netns.ts). */
    "host-netns": { type: "boolean" },
    seconds: { type: "string", default: "120" },
    warmup: { type: "string", default: "20" },
    processes: { type: "string", default: "2000" },
    "messages-per-hour": { type: "string", default: "10000" },
    only: { type: "string" },
    /** Extra node flags for the probes (e.g. to compare V8 flags, or --cpu-prof), space-separated. */
    "node-flags": { type: "string", default: "" },
    /** Leave the unit's node flags out, so that --node-flags replaces them instead of adding to them. */
    "without-unit-flags": { type: "boolean", default: false },
    /** Extra environment for the probes (e.g. MALLOC_ARENA_MAX=2), space-separated NAME=value. */
    env: { type: "string", default: "" },
    /** Probe config keys merged over the bench's (e.g. '{"sockets":{"sampleIntervalMs":1000}}'): what each timer costs. */
    config: { type: "string", default: "{}" },
  },
  strict: true,
});
const measureMs = Number(values.seconds) * 1000;
const warmupMs = Number(values.warmup) * 1000;
const kinds: ProbeKind[] = values.only === undefined ? ["bundle", "source"] : [values.only as ProbeKind];
const unitFile = join(REPO_ROOT, "deploy/systemd/spamtrace-probe.service");
const unitText = readFileSync(unitFile, "utf8");
const nodeFlags = [...(values["without-unit-flags"] ? [] : unitNodeFlags(unitText)), ...values["node-flags"].split(" ").filter(Boolean)];
const probeEnv = {
  ...unitEnvironment(unitText),
  ...Object.fromEntries(values.env.split(" ").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])),
};

const configExtra = JSON.parse(values.config) as Record<string, unknown>;

const cleanups: Array<() => Promise<void> | void> = [];
async function cleanup(): Promise<void> {
  for (const step of cleanups.reverse()) await step();
  cleanups.length = 0;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cleanup().then(() => process.exit(130)));

const results: Array<[ProbeKind, ProcessUsage, string]> = [];
try {
  console.log(`starting ${values.processes} fd-holding processes...`);
  const holders = await startFdHolders(Number(values.processes));
  cleanups.push(() => holders.stop());
  console.log(`${holders.pids.length} processes hold ${holders.fds} fds (${holders.tcpConnections} TCP connections on loopback)`);
  const lab = await startCollector(kinds.map((k) => `bench-${k}`));
  cleanups.push(() => lab.close());
  const logPath = join(lab.dir, "mail.log");
  writeFileSync(logPath, "");
  const traffic = startLogTraffic(logPath, Number(values["messages-per-hour"]));
  cleanups.push(() => traffic.stop());

  for (const kind of kinds) {
    const metricsPort = await freePort();
    const config = writeProbeConfig(lab, `bench-${kind}`, logPath, metricsPort, configExtra);
    const probe = startProbe(kind, config, nodeFlags, probeEnv);
    cleanups.push(() => probe.stop());
    console.log(`${kind}: pid ${probe.child.pid}, warming up ${warmupMs / 1000} s, measuring ${measureMs / 1000} s`);
    const opens0 = hostActiveOpens();
    const usage = await watchProcess(probe.child.pid!, probe.startedAtMs, warmupMs, measureMs);
    const reads = await tableReads(metricsPort);
    const opensPerSecond = (hostActiveOpens() - opens0) / ((measureMs + warmupMs) / 1000);
    await sleep(1000);
    const stored = await lab.sql<{ n: string }>(`SELECT count() AS n FROM ${lab.database}.hosts FINAL WHERE host_id = 'bench-${kind}'`);
    const streamed = Number(stored[0]?.n ?? 0) === 1 ? "streamed to the collector" : "NOT SEEN by the collector";
    if (probe.child.exitCode !== null) throw new Error(`${kind} probe exited (${probe.child.exitCode}): ${probe.stderr().slice(-2000)}`);
    const warnings = probe.stderr().split("\n").filter((l) => /"level":(40|50|60)/.test(l));
    await probe.stop();
    const context = `${(reads / ((Date.now() - probe.startedAtMs) / 1000)).toFixed(1)} socket table reads/s (host: ${opensPerSecond.toFixed(1)} TCP connections opened/s); load average ${loadAverage()}`;
    results.push([kind, usage, `${context}; ${streamed}; ${warnings.length} warnings${warnings.length > 0 ? `: ${warnings.slice(0, 3).join(" | ")}` : ""}`]);
  }
  console.log(`log traffic: ${traffic.messages()} messages (${traffic.messages() * 7} lines) appended`);
} finally {
  await cleanup();
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
console.log(`\n== footprint (${values.processes} extra processes, ${values["messages-per-hour"]} messages/h, ${netnsLabel()}, node ${process.version}, node flags: ${nodeFlags.join(" ") || "(none)"}${Object.keys(probeEnv).length > 0 ? `, env: ${Object.entries(probeEnv).map(([k, v]) => `${k}=${v}`).join(" ")}` : ""}) ==`);
console.log(`bundle: ${fmt(statSync(PROBE_BUNDLE).size / 1024)} KiB`);
for (const [kind, u, note] of results) {
  console.log(`${kind}: RSS max ${fmt(u.rssMaxMb)} MB, median ${fmt(u.rssMedianMb)} MB; CPU ${fmt(u.cpuPercent, 2)} % of one core over ${fmt(u.seconds, 0)} s (${fmt(u.cpuPercentWithStartup, 2)} % with start-up); ${note}`);
}
