// Fairness (issue 14): a probe flooding maximal batches is paced to limits.streamRowsPerSecond
// while another probe's batches, sent meanwhile on the same collector, are stored and acknowledged
// at once. Real collector (mTLS, embedded ClickHouse), real gRPC streams.
import { create } from "@bufbuild/protobuf";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certsInit } from "../collector/certs/certs-init.js";
import { collectorConfigSchema } from "../collector/config/collector-config.js";
import { serveCollector, type RunningCollector } from "../collector/serve.js";
import { StreamRequestSchema, type StreamRequest } from "../shared/gen/spamtrace/v1/ingest_pb.js";
import { fleetBatch, fleetHello } from "./setup/fleet-batches.js";
import { converse, probeCredentials } from "./setup/probe-client.js";

const RATE = 500;
const FLOOD_SOCKETS = 1000;
const EPOCH = 7n;

function requests(hostId: string, i: number, batches: number, bulkSockets?: number): { requests: StreamRequest[]; rows: number[] } {
  const out: StreamRequest[] = [create(StreamRequestSchema, { kind: { case: "hello", value: fleetHello(hostId, i, EPOCH) } })];
  const rows: number[] = [];
  for (let seq = 1n; seq <= BigInt(batches); seq++) {
    const built = fleetBatch({ hostId, i, epoch: EPOCH, seq, nowMs: Date.now(), intervalMs: 30_000, compromised: false, ...(bulkSockets === undefined ? {} : { bulkSockets }) });
    out.push(create(StreamRequestSchema, { kind: { case: "batch", value: built.batch } }));
    rows.push(Object.values(built.rows).reduce((a, b) => a + b, 0));
  }
  return { requests: out, rows };
}

describe("per-stream row budget: one flooding probe cannot hold back the others", () => {
  let dir: string;
  let collector: RunningCollector;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-row-budget-"));
    await certsInit({ dir: join(dir, "certs"), probeHostIds: ["flood1", "web2"] });
    collector = await serveCollector(
      collectorConfigSchema.parse({
        grpc: { host: "127.0.0.1", port: 0, certsDir: join(dir, "certs") },
        limits: { streamRowsPerSecond: RATE, streamBurstRows: RATE },
        admin: { port: 0, tokenFile: join(dir, "admin.token") },
        store: { dataDir: join(dir, "chdb"), database: "budget" },
      }),
    );
  });
  afterAll(async () => {
    await collector?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("paces the flooding stream to its rate, acknowledges the other's batches meanwhile, loses nothing", async () => {
    const flood = requests("flood1", 1, 6, FLOOD_SOCKETS);
    const normal = requests("web2", 2, 3);
    // Each flood batch is twice the budget's burst: after the first, the stream owes two seconds per batch.
    expect(flood.rows.every((n) => n > 2 * RATE)).toBe(true);
    expect(normal.rows.every((n) => n < RATE / 10)).toBe(true);
    const floodDone = converse(collector.grpcPort, await probeCredentials(join(dir, "certs"), "flood1"), flood.requests);
    // The normal probe starts once the flood stream's first batch is stored: the flood is then being held back.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const normalStart = Date.now();
    const normalRun = await converse(collector.grpcPort, await probeCredentials(join(dir, "certs"), "web2"), normal.requests);
    const floodRun = await floodDone;

    expect(floodRun.error).toBeUndefined();
    expect(normalRun.error).toBeUndefined();
    expect(floodRun.responses.map((r) => r.kind.case)).toEqual(["welcome", ...flood.rows.map(() => "ack")]);
    expect(normalRun.responses.map((r) => r.kind.case)).toEqual(["welcome", "ack", "ack", "ack"]);
    const ack1 = floodRun.receivedAtMs[1]!;
    const lastAck = floodRun.receivedAtMs.at(-1)!;
    // What the stream owes once its first batch spent the burst, up to the read of its last batch.
    const owedSeconds = (flood.rows[0]! - RATE) / RATE + flood.rows.slice(1, -1).reduce((a, b) => a + b, 0) / RATE;
    console.log(`flood rows per batch ${flood.rows.join(", ")}: acks ${floodRun.receivedAtMs.map((t) => t - ack1).join(", ")} ms after the first; normal probe done in ${normalRun.receivedAtMs.at(-1)! - normalStart} ms`);
    expect(lastAck - ack1).toBeGreaterThanOrEqual(owedSeconds * 1000 - 250);
    // The normal probe's three batches went through while the flood stream waited (about 460 ms on an idle
    // machine, TLS handshake included; half the flood's pacing leaves room for a loaded CI machine).
    expect(normalRun.receivedAtMs.at(-1)!).toBeLessThan(lastAck);
    expect(normalRun.receivedAtMs.at(-1)! - normalStart).toBeLessThan((owedSeconds * 1000) / 2);

    const stored = await collector.store.query<{ host_id: string; n: string; rows: string }>(
      "SELECT host_id, count() AS n, sum(socket_rows) AS rows FROM budget.ingest_batches FINAL GROUP BY host_id ORDER BY host_id",
    );
    expect(stored.map((r) => [r.host_id, Number(r.n)])).toEqual([["flood1", flood.rows.length], ["web2", 3]]);
    const metrics = await (await fetch(`http://127.0.0.1:${collector.adminPort}/metrics`)).text();
    const paced = Number(/spamtrace_collector_stream_paced_seconds_total\{host_id="flood1"\} ([\d.]+)/.exec(metrics)?.[1]);
    expect(paced).toBeGreaterThanOrEqual(owedSeconds - 0.25);
    expect(metrics).not.toMatch(/spamtrace_collector_stream_paced_seconds_total\{host_id="web2"\}/);
  });
});
