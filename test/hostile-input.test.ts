import { status } from "@grpc/grpc-js";
import { create, toBinary } from "@bufbuild/protobuf";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certsInit } from "../collector/certs/certs-init.js";
import { collectorConfigSchema } from "../collector/config/collector-config.js";
import { serveCollector, type RunningCollector } from "../collector/serve.js";
import { ProcessInfoSchema, SocketSchema, SocketSnapshotSchema, StreamRequestSchema, type StreamRequest } from "../shared/gen/spamtrace/v1/ingest_pb.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { batchRequest, converse, helloRequest, probeCredentials } from "./setup/probe-client.js";

// Strings a probe (or an attacker holding a probe's key) may send; each must
// be stored byte for byte and never change the SQL around it.
const HOSTILE = [
  "it's",
  "back\\slash\\",
  "nul\u0000byte",
  "new\nline\r\ttab",
  "{x:String}",
  "{h}",
  "'); DROP TABLE hosts; --",
  "`backtick` \"double\"",
  "emoji 📧✉️",
  "x".repeat(4000),
];

const HOST = "hostile1";

function hostileSocket(value: string, i: number) {
  return create(SocketSchema, {
    proto: value,
    state: value,
    direction: 3,
    localAddress: value,
    localPort: 40000 + i,
    remoteAddress: value,
    remotePort: 25,
    inode: BigInt(1000 + i),
    firstSeenUnixMs: BigInt(Date.now() - 1000),
    lastSeenUnixMs: BigInt(Date.now()),
    process: create(ProcessInfoSchema, { pid: 100 + i, user: value, comm: value, argv: [value, value], exe: value, cwd: value, exeSha256: value }),
  });
}

describe.each([{ store: "embedded" as const }, { store: "clickhouse-server-18.16" as const }])("hostile probe input ($store)", ({ store }) => {
  let dir: string;
  let server: ClickHouseServer | undefined;
  let collector: RunningCollector;
  const db = `hostile_${store === "embedded" ? "e" : "s"}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-hostile-"));
    if (store !== "embedded") server = await startClickHouseServer();
    await certsInit({ dir: join(dir, "certs"), probeHostIds: [HOST] });
    collector = await serveCollector(
      collectorConfigSchema.parse({
        grpc: { host: "127.0.0.1", port: 0, certsDir: join(dir, "certs") },
        admin: { port: 0, tokenFile: join(dir, "admin.token") },
        store: server ? { url: server.url, database: db } : { dataDir: join(dir, "chdb"), database: db },
        limits: { maxMessageBytes: 256 * 1024 },
      }),
    );
  });
  afterAll(async () => {
    await collector?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const creds = () => probeCredentials(join(dir, "certs"), HOST);

  it("stores hostile strings in every string field exactly as sent", async () => {
    const hello = helloRequest(HOST, 5n, {
      hostname: HOSTILE.slice(0, -1).join("|"),
      os: HOSTILE[6],
      kernel: HOSTILE[2],
      probeVersion: HOSTILE[4],
      ipAddresses: HOSTILE,
    });
    const snapshot = create(SocketSnapshotSchema, {
      observedAtUnixMs: BigInt(Date.now()),
      startedAtUnixMs: BigInt(Date.now() - 1000),
      samples: 1,
      sockets: HOSTILE.map(hostileSocket),
    });
    const outcome = await converse(collector.grpcPort, await creds(), [hello, batchRequest(HOST, 1n, 5n, { socketSnapshots: [snapshot] })]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.responses.map((r) => r.kind.case)).toEqual(["welcome", "ack"]);

    const rows = await collector.store.query<{ local_port: number; proto: string; state: string; local_address: string; user: string; comm: string; argv: string[]; exe: string; cwd: string; exe_sha256: string }>(
      `SELECT local_port, proto, state, local_address, user, comm, argv, exe, cwd, exe_sha256 FROM ${db}.socket_snapshots ORDER BY local_port`,
    );
    expect(rows).toHaveLength(HOSTILE.length);
    rows.forEach((row, i) => {
      const v = HOSTILE[i]!;
      expect(row).toEqual({ local_port: 40000 + i, proto: v, state: v, local_address: v, user: v, comm: v, argv: [v, v], exe: v, cwd: v, exe_sha256: v });
    });
    const hosts = await collector.store.query<{ hostname: string; ip_addresses: string[]; os: string }>(`SELECT hostname, ip_addresses, os FROM ${db}.hosts`);
    expect(hosts).toEqual([{ hostname: HOSTILE.slice(0, -1).join("|"), ip_addresses: HOSTILE, os: HOSTILE[6] }]);
  });

  // A real probe never sends invalid UTF-8 (Node decodes /proc and logs with
  // replacement characters); bytes that are not UTF-8 are a forged message.
  it("refuses invalid UTF-8 with INVALID_ARGUMENT and stores nothing of it", async () => {
    const marker = "MARKER";
    const socket = hostileSocket(marker, 0);
    const batch = batchRequest(HOST, 2n, 5n, {
      socketSnapshots: [create(SocketSnapshotSchema, { observedAtUnixMs: BigInt(Date.now()), startedAtUnixMs: BigInt(Date.now()), sockets: [{ ...socket, proto: "tcp", localPort: 41999 }] })],
    });
    // Overwrite the marker's bytes on the wire with bytes that are not UTF-8.
    const corrupt = (value: StreamRequest): Buffer => {
      const bytes = Buffer.from(toBinary(StreamRequestSchema, value));
      for (let at = bytes.indexOf(marker); at !== -1; at = bytes.indexOf(marker, at + 1)) bytes.fill(0xff, at, at + 2);
      return bytes;
    };
    const outcome = await converse(collector.grpcPort, await creds(), [helloRequest(HOST, 5n), batch], corrupt);
    expect(outcome.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(outcome.error?.details).toMatch(/^undecodable stream request: .*UTF-8/i);
    const rows = await collector.store.query(`SELECT comm FROM ${db}.socket_snapshots WHERE local_port = 41999`);
    expect(rows).toEqual([]);
  });

  it("answers INVALID_ARGUMENT to bytes that are not a protobuf message", async () => {
    const garbage = (): Buffer => Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);
    const outcome = await converse(collector.grpcPort, await creds(), [helloRequest(HOST, 5n)], garbage);
    expect(outcome.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(outcome.error?.details).toMatch(/^undecodable stream request: /);
  });

  it("answers INVALID_ARGUMENT to a string over limits.maxStringChars and stores nothing of the batch", async () => {
    const socket = hostileSocket("y".repeat(5000), 7);
    const batch = batchRequest(HOST, 3n, 5n, {
      socketSnapshots: [create(SocketSnapshotSchema, { observedAtUnixMs: BigInt(Date.now()), startedAtUnixMs: BigInt(Date.now()), sockets: [socket] })],
    });
    const outcome = await converse(collector.grpcPort, await creds(), [helloRequest(HOST, 5n), batch]);
    expect(outcome.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(outcome.error?.details).toBe("socket has a string of 5000 chars, limit 4096");
    const stored = await collector.store.query<{ n: number }>(`SELECT count() AS n FROM ${db}.ingest_batches WHERE batch_seq = 3`);
    expect(Number(stored[0]!.n)).toBe(0);
  });

  it("answers RESOURCE_EXHAUSTED to a message over limits.maxMessageBytes", async () => {
    const big = batchRequest(HOST, 3n, 5n, { socketSnapshots: [create(SocketSnapshotSchema, { sockets: Array.from({ length: 200 }, (_, i) => hostileSocket("z".repeat(2000), i)) })] });
    const outcome = await converse(collector.grpcPort, await creds(), [helloRequest(HOST, 5n), big]);
    expect(outcome.error?.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it("keeps serving after all of that and counts the refusals", async () => {
    const outcome = await converse(collector.grpcPort, await creds(), [helloRequest(HOST, 5n), batchRequest(HOST, 3n, 5n)]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.responses[1]?.kind.value).toMatchObject({ seq: 3n, duplicate: false });
    const metrics = await (await fetch(`http://127.0.0.1:${collector.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/spamtrace_collector_stream_errors_total\{code="invalid_argument"\} 3/);
    expect(metrics).toMatch(/spamtrace_collector_batches_total\{outcome="rejected"\} 1/);
  });
});
