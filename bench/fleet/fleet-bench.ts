// `npm run bench:fleet -- --probes N --interval-s 30 --duration-s D [--store embedded|server]`
// One collector (pinned to CPU 0) and N virtual probes (worker processes at
// nice 19, taking only the CPU the collector leaves), real gRPC + mTLS, one
// certificate and host id per probe. Prints throughput, ack latency, the
// collector's CPU and RSS, lost and doubled batches (counted in ClickHouse)
// and the detection latency of the planted incidents; the last line is one
// JSON object. See bench/fleet/README.md.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../../test/setup/free-port.js";
import { startClickHouseServer, type ClickHouseServer } from "../../test/setup/clickhouse-server.js";
import { CollectorProcess, processUsage } from "./collector-process.js";
import { stormTimeline } from "./storm-timeline.js";
import { collectorLatencyWindows } from "./collector-store-latency.js";
import { ensureFleetCerts, fleetHostId } from "./fleet-certs.js";
import { adminSql, storedCounts } from "../../test/setup/stored-counts.js";
import { watchPlanted } from "./planted-watch.js";
import type { WorkerReport, WorkerRequest } from "./worker-protocol.js";
import { percentile, sumReports } from "./fleet-figures.js";

const { values: a } = parseArgs({
  options: {
    probes: { type: "string", default: "100" },
    "interval-s": { type: "string", default: "30" },
    "duration-s": { type: "string", default: "120" },
    store: { type: "string", default: "server" },
    workers: { type: "string" },
    "restart-at-s": { type: "string" },
    flood: { type: "boolean", default: false },
    "flood-sockets": { type: "string", default: "20000" },
    "cpu-prof": { type: "string" },
    compromised: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
    // The virtual probes' gRPC client: "raw" (node:http2, bench/fleet/raw-grpc-stream.ts) or "grpc-js" (the probe's library).
    client: { type: "string", default: "raw" },
    // Collector limits over the defaults, as JSON: '{"streamBurstRows":50000}'.
    limits: { type: "string" },
    // The collector's node flags instead of the shipped unit's, space-separated: --node-flags="--heap-growing-percent=50" ("" for none).
    "node-flags": { type: "string" },
    // Where the probe workers run: "nice" (every CPU at nice 19: they take only the CPU the collector and
    // ClickHouse leave) or "pinned" (CPU 1 only, beside ClickHouse, as before session 14). Pinned, the
    // generator was the limit of 10,000-probe ramp-ups and restart storms (99 % of CPU 1 for 80 s while the
    // collector idled at 30-50 %): each probe's TLS handshake costs its client 4.5 ms, twice the collector's.
    generator: { type: "string", default: "nice" },
    // Plaintext HTTP/2 (h2c) to a collector in grpc.insecure mode, raw client only: not how a fleet runs, but
    // the difference to a TLS run is what TLS costs the collector (memory per connection, handshake CPU).
    plaintext: { type: "boolean", default: false },
  },
  strict: true,
});
const probes = Number(a.probes);
const intervalMs = Number(a["interval-s"]) * 1000;
const durationMs = Number(a["duration-s"]) * 1000;
const storeKind = a.store === "embedded" ? "embedded" : "server";
const restartAtMs = a["restart-at-s"] === undefined ? undefined : Number(a["restart-at-s"]) * 1000;
const workerCount = Number(a.workers ?? Math.max(2, Math.ceil(probes / 2500)));
const pinned = os.availableParallelism() > 1;
if (a.generator !== "pinned" && a.generator !== "nice") throw new Error(`--generator must be pinned or nice, not ${a.generator}`);
const niceGenerator = a.generator === "nice";
if (a.client !== "raw" && a.client !== "grpc-js") throw new Error(`--client ${a.client}: must be raw or grpc-js`);
const client: "raw" | "grpc-js" = a.client;
if (a.plaintext && client !== "raw") throw new Error("--plaintext needs --client raw");
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const dir = await mkdtemp(path.join(os.tmpdir(), "spamtrace-fleet-bench-"));
let server: ClickHouseServer | undefined;
let collector: CollectorProcess | undefined;
const workers: ChildProcess[] = [];
try {
  const certInfo = await ensureFleetCerts(probes + 1);
  say(`certificates: ${probes + 1} probes (${certInfo.minted} minted now) in ${(certInfo.ms / 1000).toFixed(1)} s, cached in ${certInfo.certs.dir}`);
  if (storeKind === "server") {
    // Debug level logs every statement, which the run counts.
    process.env.CH_LOG_LEVEL ??= "debug";
    server = await startClickHouseServer();
    say(`clickhouse-server ${server.version} at ${server.url}`);
  }
  const adminPort = await freePort();
  const grpcPort = await freePort();
  if (a["cpu-prof"]) await mkdir(a["cpu-prof"], { recursive: true });
  collector = new CollectorProcess({
    dir,
    name: "bench-collector",
    grpcPort,
    adminPort,
    certsDir: certInfo.certs.dir,
    store: server ? { url: server.url } : { dataDir: path.join(dir, "chdb") },
    maxStreams: probes + 100,
    ...(a["node-flags"] !== undefined ? { nodeFlags: a["node-flags"].split(/\s+/).filter(Boolean) } : {}),
    ...(a.limits ? { limits: JSON.parse(a.limits) as Record<string, number> } : {}),
    cpus: pinned ? "0" : undefined,
    insecure: a.plaintext,
    cpuProfDir: a["cpu-prof"] ? path.resolve(a["cpu-prof"]) : undefined,
  });
  await collector.start();
  const token = (await readFile(path.join(dir, "bench-collector.token"), "utf8")).trim();
  const sql = <T>(q: string): Promise<T[]> => adminSql<T>(adminPort, token, q);
  say(`collector pid ${collector.pid} on ${storeKind} store${pinned ? ", pinned to CPU 0" : ""}; ${workerCount} probe workers (${client} client${a.plaintext ? ", PLAINTEXT h2c" : ""}) ${niceGenerator ? "on every CPU at nice 19" : pinned ? "on CPU 1" : ""}`);

  const epoch = String(Date.now());
  const startedAt = Date.now();
  const compromised = Array.from({ length: Math.min(probes, Number(a.compromised)) }, (_, k) => Math.floor(((k + 0.5) * probes) / Number(a.compromised)));
  const settings = { addresses: [`127.0.0.1:${grpcPort}`], epoch, intervalMs, plantAtMs: startedAt + Math.min(durationMs / 3, 60_000), reconnectMinMs: 500, reconnectMaxMs: 10_000, client, plaintext: a.plaintext };
  const reports = new Map<ChildProcess, WorkerReport>();
  const floodWorker = a.flood ? startWorker(true) : undefined;
  for (let w = 0; w < workerCount; w++) {
    const indexes = Array.from({ length: probes }, (_, i) => i).filter((i) => i % workerCount === w);
    send(startWorker(false), { type: "start", certsDir: certInfo.certs.dir, indexes, compromised: compromised.filter((i) => i % workerCount === w), settings });
  }
  if (floodWorker) send(floodWorker, { type: "start", certsDir: certInfo.certs.dir, indexes: [probes], compromised: [], floodIndex: probes, floodSockets: Number(a["flood-sockets"]), settings });

  const watch = watchPlanted(sql, compromised.map(fleetHostId));
  const before = await processUsage(collector.pid!);
  let peakRss = 0;
  let restartInfo: { at: number; back?: number; acked?: number } | undefined;
  const latencies: number[] = [];
  const welcomeLatencies: number[] = [];
  let floodAcks = 0;
  const collectorSide = collectorLatencyWindows(adminPort);
  await collectorSide.next();
  const tickMs = 10_000;
  let last = { acked: 0, rows: 0, at: Date.now(), cpu: before?.cpuS ?? 0 };
  let killedCpuS = 0;
  for (let t = 0; t < durationMs; t += tickMs) {
    await sleep(Math.min(tickMs, durationMs - t));
    if (restartAtMs !== undefined && !restartInfo && Date.now() - startedAt >= restartAtMs) {
      // CPU of the process about to be killed: the run's share adds it to the new one's.
      killedCpuS += (await processUsage(collector.pid!))?.cpuS ?? 0;
      await collector.kill("SIGKILL");
      await collector.start();
      restartInfo = { at: Date.now() };
      say(`collector killed (SIGKILL) and restarted at +${((restartInfo.at - startedAt) / 1000).toFixed(0)} s`);
      // Every stream welcomed again, then every batch pending at that moment acknowledged.
      let backlog: number | undefined;
      const storm = await stormTimeline(collector.pid!, workers.map((w) => w.pid!), server?.baseDir);
      while (Date.now() - restartInfo.at < 180_000) {
        await sleep(1000);
        const up = sumReports([...(await collect()).entries()].filter(([w]) => w !== floodWorker).map(([, r]) => r));
        latencies.push(...up.ackLatencyMs);
        const line = await storm.tick(up.welcomed, up.acked, up.unacked);
        if (line) say(`  storm +${((Date.now() - restartInfo.at) / 1000).toFixed(0)} s: ${line}`);
        if (restartInfo.back === undefined && up.welcomed === probes) {
          restartInfo.back = Date.now();
          backlog = up.acked + up.unacked;
        }
        if (backlog !== undefined && up.acked >= backlog) {
          restartInfo.acked = Date.now();
          break;
        }
      }
      say(`after the restart: all ${probes} streams back in ${fmtS(restartInfo.back)} s, their backlog acknowledged in ${fmtS(restartInfo.acked)} s`);
      // The next line's CPU share is the new process's: its counter started at 0.
      last.cpu = 0;
      last.at = restartInfo.at;
    }
    const all = await collect();
    const totals = sumReports([...all.values()].filter((_, k) => !floodWorker || [...all.keys()][k] !== floodWorker));
    latencies.push(...totals.ackLatencyMs);
    welcomeLatencies.push(...totals.welcomeLatencyMs);
    if (floodWorker) floodAcks = all.get(floodWorker)?.acked ?? 0;
    const usage = await processUsage(collector.pid!);
    peakRss = Math.max(peakRss, usage?.rssMb ?? 0);
    const now = Date.now();
    const rows = Object.values(totals.rows).reduce((x, y) => x + y, 0);
    say(
      `+${((now - startedAt) / 1000).toFixed(0)} s: ${totals.acked} acked of ${totals.sent} sent (${(((totals.acked - last.acked) * 1000) / (now - last.at)).toFixed(1)} batches/s, ${(((rows - last.rows) * 1000) / (now - last.at)).toFixed(0)} rows/s), ` +
        `${totals.welcomed}/${probes} streams up, ${totals.unacked} unacked, p99 ack ${percentile(totals.ackLatencyMs, 0.99)} ms, collector ${(((usage?.cpuS ?? 0) - last.cpu) * 100_000 / (now - last.at)).toFixed(0)}% CPU ${usage?.rssMb.toFixed(0)} MB` +
        (floodWorker ? `, flood probe ${floodAcks} acked` : "") +
        `; ${await collectorSide.next()}`,
    );
    last = { acked: totals.acked, rows, at: now, cpu: usage?.cpuS ?? last.cpu };
  }
  const after = await processUsage(collector.pid!);
  const runMs = Date.now() - startedAt;

  // Drain: no new batches; wait until every batch is acknowledged (at most 120 s).
  for (const w of workers) send(w, { type: "stop-producing" });
  const drainStart = Date.now();
  let drained = sumReports([...(await collect()).values()]);
  while (drained.unacked > 0 && Date.now() - drainStart < 120_000) {
    await sleep(2000);
    const all = await collect();
    const steady = sumReports([...all.entries()].filter(([w]) => w !== floodWorker).map(([, r]) => r));
    latencies.push(...steady.ackLatencyMs);
    drained = sumReports([...all.values()]);
  }
  const drainMs = Date.now() - drainStart;
  const final = sumReports([...(await collect()).entries()].filter(([w]) => w !== floodWorker).map(([, r]) => r));
  latencies.push(...final.ackLatencyMs);
  const planted = new Map(final.planted);
  // Detection: when the watch first saw each planted incident; up to 60 s more for the missing ones.
  for (let k = 0; k < 30 && [...planted.keys()].some((h) => !watch.first().has(h)); k++) await sleep(2000);
  await watch.stop();
  const detected = watch.first();
  const detectS = [...planted].map(([h, at]) => (detected.has(h) ? (detected.get(h)! - at) / 1000 : Infinity));
  // Counters are final once the probes are closed; the collector then finishes what it was storing.
  const all = sumReports([...(await closeWorkers()).values()]);
  await sleep(5000);
  const stored = await storedCounts(sql, epoch);
  const lost = Math.max(0, all.acked - stored.batches) + stored.short;
  const result = {
    probes,
    store: storeKind,
    interval_s: intervalMs / 1000,
    duration_s: Math.round(runMs / 1000),
    batches_sent: all.sent,
    batches_acked: all.acked,
    batches_stored: stored.batches,
    unacked_after_drain: all.unacked,
    lost,
    doubled: stored.doubled + stored.duplicateMarkers,
    orphans: stored.orphans,
    batches_per_s: Number(((final.acked * 1000) / (runMs + drainMs)).toFixed(1)),
    rows_per_s: Math.round((Object.values(stored.rows).reduce((x, y) => x + y, 0) * 1000) / (runMs + drainMs)),
    p50_ack_ms: percentile(latencies, 0.5),
    p99_ack_ms: percentile(latencies, 0.99),
    max_ack_ms: percentile(latencies, 1),
    collector_rss_mb: Math.round(peakRss),
    collector_cpu_pct: before && after ? Math.round(((killedCpuS + after.cpuS - before.cpuS) * 100_000) / runMs) : null,
    planted: planted.size,
    detected: detectS.filter(Number.isFinite).length,
    detect_p95_s: detectS.length === 0 ? null : Number(percentile(detectS, 0.95).toFixed(1)),
    stream_errors: all.streamErrors,
    p50_welcome_ms: percentile(welcomeLatencies, 0.5),
    p99_welcome_ms: percentile(welcomeLatencies, 0.99),
    welcomes: all.welcomes,
    duplicate_acks: all.duplicateAcks,
    ...(server ? { clickhouse_queries: await countServerQueries(server.baseDir) } : {}),
    ...(restartInfo ? { restart_streams_back_s: numS(restartInfo.back), restart_acked_s: numS(restartInfo.acked) } : {}),
    ...(floodWorker ? { flood_probe_acked: floodAcks } : {}),
  };
  say(`stored ${stored.batches} batches, rows ${JSON.stringify(stored.rows)}; ${stored.duplicateMarkers} duplicate markers, ${stored.doubled} doubled, ${stored.short} short, ${stored.orphans} with rows but no marker (stream broken mid-batch, not re-sent); drain took ${(drainMs / 1000).toFixed(1)} s`);
  say(`stream errors seen by the probes: ${JSON.stringify(all.errors.sort((x, y) => y[1] - x[1]).slice(0, 5))}`);
  say(`detection: ${result.detected}/${planted.size} planted incidents, latencies ${detectS.map((s) => s.toFixed(1)).join(", ")} s`);
  say(JSON.stringify(result));

  function numS(at: number | undefined): number | null {
    return at === undefined || !restartInfo ? null : Number(((at - restartInfo.at) / 1000).toFixed(1));
  }

  function fmtS(at: number | undefined): string {
    return String(numS(at) ?? "(not within 180)");
  }

  function startWorker(flood: boolean): ChildProcess {
    const cpu = niceGenerator ? ["nice", "-n", "19"] : pinned ? ["taskset", "-c", "1"] : [];
    const args = [...cpu, process.execPath, "--import", "tsx", path.join(import.meta.dirname, "probe-worker.ts")];
    const child = spawn(args[0]!, args.slice(1), { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.on("message", (m: WorkerReport | { type: "started" }) => {
      if (m.type === "report") reports.set(child, m);
    });
    child.on("exit", (code) => {
      if (code !== 0 && code !== null) say(`probe worker ${child.pid} exited with ${code}`);
    });
    workers.push(child);
    void flood;
    return child;
  }

  async function closeWorkers(): Promise<Map<ChildProcess, WorkerReport>> {
    return collect("close");
  }

  async function collect(type: "report" | "close" = "report"): Promise<Map<ChildProcess, WorkerReport>> {
    reports.clear();
    for (const w of workers) send(w, { type });
    const deadline = Date.now() + 30_000;
    while (reports.size < workers.length && Date.now() < deadline) await sleep(50);
    return new Map(reports);
  }
} finally {
  for (const w of workers) w.kill("SIGKILL");
  await collector?.kill("SIGTERM");
  if (a.keep) say(`kept: ${dir}${server ? ` and clickhouse-server ${server.url} (stop: deploy/dev/clickhouse-server.sh stop ${server.baseDir})` : ""}`);
  else {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Statements the ClickHouse server ran (one "executeQuery" line with the query text each, in its log). */
async function countServerQueries(baseDir: string): Promise<number> {
  const log = await readFile(path.join(baseDir, "log", "clickhouse-server.log"), "utf8").catch(() => "");
  return log.split("\n").filter((line) => / executeQuery: \(from /.test(line)).length;
}

function send(child: ChildProcess, message: WorkerRequest): void {
  child.send(message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
