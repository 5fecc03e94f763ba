// The fleet benchmark's raw gRPC client (bench/fleet/raw-grpc-stream.ts) must
// see the end of every call the collector ends, as grpc-js does: a virtual
// probe that misses it never reconnects, and the benchmark then reports a
// stall of the collector that is its own (500 probes stuck after a restart).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Server, ServerCredentials, status, type ServerDuplexStream } from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { lenientIngestDefinition } from "../collector/receive/grpc/lenient-ingest-definition.js";
import { StreamRequestSchema, StreamResponseSchema, WelcomeSchema, type StreamRequest, type StreamResponse } from "../shared/gen/spamtrace/v1/ingest_pb.js";
import { ensureFleetCerts, fleetHostId } from "../bench/fleet/fleet-certs.js";
import { RawGrpcChannel } from "../bench/fleet/raw-grpc-stream.js";

type Call = ServerDuplexStream<StreamRequest, StreamResponse>;

describe("fleet bench raw client", () => {
  let dir: string;
  let server: Server;
  let port: number;
  let channel: () => Promise<RawGrpcChannel>;
  /** What the server does with the Hello of the next stream. */
  let onHello: (call: Call) => void = () => undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-raw-client-"));
    const { certs } = await ensureFleetCerts(1, dir);
    server = new Server();
    server.addService(lenientIngestDefinition, { stream: (call: Call) => call.once("data", () => onHello(call)) });
    const credentials = ServerCredentials.createSsl(certs.ca, [{ cert_chain: await readFile(join(dir, "collector.crt")), private_key: await readFile(join(dir, "collector.key")) }], true);
    port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
    channel = async () => new RawGrpcChannel({ address: `127.0.0.1:${port}`, ca: certs.ca, key: certs.probeKey, cert: await certs.probeCert(0) });
  });
  afterAll(async () => {
    server?.forceShutdown();
    await rm(dir, { recursive: true, force: true });
  });

  /** Opens a stream, sends a Hello, and resolves with how the call ended (or "no end" after 5 s). */
  async function callEnd(): Promise<{ end: string; welcomes: number }> {
    const ch = await channel();
    const call = ch.openStream();
    let welcomes = 0;
    call.on("data", (response: StreamResponse) => {
      if (response.kind.case === "welcome") welcomes++;
    });
    const end = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve("no end"), 5000);
      call.on("error", (error: Error & { code?: number }) => {
        clearTimeout(timer);
        resolve(`error ${error.code}: ${error.message}`);
      });
      call.on("end", () => {
        clearTimeout(timer);
        resolve("end");
      });
      call.write(create(StreamRequestSchema, { kind: { case: "hello", value: { hostId: fleetHostId(0) } } }));
    });
    ch.close();
    return { end, welcomes };
  }

  it("ends the call on an error status sent before any message (trailers-only), with the stream still open for writing", async () => {
    onHello = (call) => setTimeout(() => call.emit("error", { code: status.UNAVAILABLE, details: "storage failed: socket hang up" }), 20);
    expect(await callEnd()).toEqual({ end: "error 14: storage failed: socket hang up", welcomes: 0 });
  });

  it("ends the call on an error status after a message", async () => {
    onHello = (call) => {
      call.write(create(StreamResponseSchema, { kind: { case: "welcome", value: create(WelcomeSchema, {}) } }));
      setTimeout(() => call.emit("error", { code: status.RESOURCE_EXHAUSTED, details: "busy" }), 20);
    };
    expect(await callEnd()).toEqual({ end: "error 8: busy", welcomes: 1 });
  });

  it("ends the call cleanly on status OK", async () => {
    onHello = (call) => {
      call.write(create(StreamResponseSchema, { kind: { case: "welcome", value: create(WelcomeSchema, {}) } }));
      call.end();
    };
    expect(await callEnd()).toEqual({ end: "end", welcomes: 1 });
  });
});
