// A worker process of the fleet benchmark: runs a slice of the virtual probes
// and answers the parent's IPC messages (start, stop producing, report, close).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fleetHostId } from "./fleet-certs.js";
import { VirtualProbe, type ProbeStats } from "./virtual-probe.js";
import type { WorkerReport, WorkerRequest } from "./worker-protocol.js";

const probes: VirtualProbe[] = [];
const stats: ProbeStats = {
  sent: 0,
  acked: 0,
  duplicateAcks: 0,
  streamErrors: 0,
  welcomes: 0,
  ackLatencyMs: [],
  welcomeLatencyMs: [],
  errors: new Map(),
  rows: { socket_snapshots: 0, queue_snapshots: 0, mail_windows: 0, auth_windows: 0, log_read_stats: 0 },
  planted: new Map(),
  lastWelcome: new Map(),
};

process.on("message", (message: WorkerRequest) => {
  void handle(message).catch((error: unknown) => {
    process.stderr.write(`probe worker: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
});

async function handle(m: WorkerRequest): Promise<void> {
  if (m.type === "start") {
    const s = m.settings;
    const settings = { ...s, ca: await readFile(path.join(m.certsDir, "ca.crt")), key: await readFile(path.join(m.certsDir, "fleet-probe.key")), epoch: BigInt(s.epoch) };
    for (const i of m.indexes) {
      const hostId = fleetHostId(i);
      const cert = await readFile(path.join(m.certsDir, `probe-${hostId}.crt`));
      const flood = m.floodIndex === i;
      const probe = new VirtualProbe(hostId, i, cert, settings, stats, {
        compromised: m.compromised.includes(i),
        ...(flood ? { bulkSockets: m.floodSockets, floodEveryMs: 50 } : {}),
      });
      probes.push(probe);
      // Probes start spread over the first interval, as a fleet's timers are.
      probe.start(flood ? 0 : Math.random() * (m.spreadMs ?? settings.intervalMs));
    }
    send({ type: "started", count: m.indexes.length });
  } else if (m.type === "stop-producing") {
    for (const p of probes) p.stopProducing();
  } else if (m.type === "report") {
    send(report());
    // Latencies are reported once per phase; the parent sums them.
    stats.ackLatencyMs = [];
    stats.welcomeLatencyMs = [];
  } else if (m.type === "close") {
    for (const p of probes) p.close();
    send(report());
    setTimeout(() => process.exit(0), 200);
  }
}

function report(): WorkerReport {
  return {
    type: "report",
    sent: stats.sent,
    acked: stats.acked,
    duplicateAcks: stats.duplicateAcks,
    streamErrors: stats.streamErrors,
    welcomes: stats.welcomes,
    unacked: probes.reduce((n, p) => n + p.unacked, 0),
    welcomed: probes.filter((p) => p.isWelcomed).length,
    ackLatencyMs: stats.ackLatencyMs,
    welcomeLatencyMs: stats.welcomeLatencyMs,
    errors: [...stats.errors],
    rows: { ...stats.rows },
    planted: [...stats.planted],
    lastWelcome: [...stats.lastWelcome],
  };
}

function send(message: WorkerReport | { type: "started"; count: number }): void {
  process.send?.(message);
}
