import { credentials, makeGenericClientConstructor, status, type ChannelCredentials, type ClientDuplexStream } from "@grpc/grpc-js";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { X509Certificate } from "node:crypto";
import { certsInit } from "../collector/certs/certs-init.js";
import { issueCertificate } from "../collector/certs/issue-certificate.js";
import { collectorConfigSchema } from "../collector/config/collector-config.js";
import { serveCollector, type RunningCollector } from "../collector/serve.js";
import type { StreamRequest, StreamResponse } from "../shared/gen/spamtrace/v1/ingest_pb.js";
import { ingestServiceDefinition } from "../shared/grpc/ingest-service.js";
import { batchRequest, converse, helloRequest } from "./setup/probe-client.js";

const Client = makeGenericClientConstructor(ingestServiceDefinition, "IngestService");
const hello = helloRequest;
const batch = batchRequest;

describe("probe <-> collector over mutual TLS", () => {
  let dir: string;
  let collector: RunningCollector;
  let pem: (name: string) => Promise<Buffer>;
  let otherPem: (name: string) => Promise<Buffer>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-mtls-"));
    await certsInit({ dir: join(dir, "certs"), probeHostIds: ["web1", "web2", "revoked1"] });
    const revokedSerial = new X509Certificate(await readFile(join(dir, "certs", "probe-revoked1.crt"))).serialNumber;
    await certsInit({ dir: join(dir, "other-ca"), probeHostIds: ["web1"] });
    pem = (name) => readFile(join(dir, "certs", name));
    otherPem = (name) => readFile(join(dir, "other-ca", name));
    const config = collectorConfigSchema.parse({
      grpc: { host: "127.0.0.1", port: 0, certsDir: join(dir, "certs"), revokedCertificates: [revokedSerial] },
      limits: { maxStreams: 3 },
      admin: { port: 0, tokenFile: join(dir, "admin.token") },
      store: { dataDir: join(dir, "chdb"), database: "mtls" },
    });
    collector = await serveCollector(config);
  });
  afterAll(async () => {
    await collector?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const probeCreds = async (hostId: string): Promise<ChannelCredentials> =>
    credentials.createSsl(await pem("ca.crt"), await pem(`probe-${hostId}.key`), await pem(`probe-${hostId}.crt`));

  it("welcomes a probe with its own certificate, stores and acknowledges its batches, and reports them stored on reconnect", async () => {
    const first = await converse(collector.grpcPort, await probeCreds("web1"), [hello("web1"), batch("web1", 1n), batch("web1", 2n)]);
    expect(first.error).toBeUndefined();
    expect(first.responses.map((r) => r.kind.case)).toEqual(["welcome", "ack", "ack"]);
    expect(first.responses[0]!.kind.value).toMatchObject({ storedThroughSeq: 0n });
    expect(first.responses[2]!.kind.value).toMatchObject({ seq: 2n, duplicate: false });

    const again = await converse(collector.grpcPort, await probeCreds("web1"), [hello("web1"), batch("web1", 2n), batch("web1", 3n)]);
    expect(again.error).toBeUndefined();
    expect(again.responses[0]!.kind.value).toMatchObject({ storedThroughSeq: 2n });
    expect(again.responses[1]!.kind.value).toMatchObject({ seq: 2n, duplicate: true });
    expect(again.responses[2]!.kind.value).toMatchObject({ seq: 3n, duplicate: false });
    const rows = await collector.store.query<{ seq: string }>("SELECT batch_seq AS seq FROM mtls.ingest_batches FINAL WHERE host_id = 'web1' ORDER BY seq");
    // UInt64 arrives as a string from 18.16 and as a number from the embedded engine.
    expect(rows.map((r) => String(r.seq))).toEqual(["1", "2", "3"]);
  });

  it("refuses a client without a certificate", async () => {
    const outcome = await converse(collector.grpcPort, credentials.createSsl(await pem("ca.crt")), [hello("web1")]);
    expect(outcome.error?.code).toBe(status.UNAVAILABLE);
    expect(outcome.responses).toEqual([]);
  });

  it("refuses a certificate from another CA", async () => {
    const creds = credentials.createSsl(await pem("ca.crt"), await otherPem("probe-web1.key"), await otherPem("probe-web1.crt"));
    const outcome = await converse(collector.grpcPort, creds, [hello("web1")]);
    expect(outcome.error?.code).toBe(status.UNAVAILABLE);
    expect(outcome.responses).toEqual([]);
  });

  it("refuses plaintext", async () => {
    const outcome = await converse(collector.grpcPort, credentials.createInsecure(), [hello("web1")]);
    expect(outcome.error?.code).toBe(status.UNAVAILABLE);
  });

  it("refuses an expired certificate from the right CA", async () => {
    const ca = { certPem: (await pem("ca.crt")).toString(), keyPem: (await pem("ca.key")).toString() };
    const expired = await issueCertificate({ kind: "client", ca, hostId: "web1", days: 1, now: new Date(Date.now() - 3 * 86_400_000) });
    const creds = credentials.createSsl(await pem("ca.crt"), Buffer.from(expired.keyPem), Buffer.from(expired.certPem));
    const outcome = await converse(collector.grpcPort, creds, [hello("web1")]);
    expect(outcome.error?.code).toBe(status.UNAVAILABLE);
    expect(outcome.responses).toEqual([]);
  });

  it("refuses a revoked certificate", async () => {
    const outcome = await converse(collector.grpcPort, await probeCreds("revoked1"), [hello("revoked1")]);
    expect(outcome.error?.code).toBe(status.PERMISSION_DENIED);
    expect(outcome.error?.details).toMatch(/^certificate revoked1 \(serial [0-9A-F]+\) is revoked$/);
  });

  it("answers RESOURCE_EXHAUSTED beyond limits.maxStreams so probes back off", async () => {
    const held = await Promise.all(
      [1, 2, 3].map(async () => {
        const client = new Client(`127.0.0.1:${collector.grpcPort}`, await probeCreds("web2"), { "grpc.ssl_target_name_override": "localhost" });
        const call = client.makeBidiStreamRequest(
          ingestServiceDefinition.stream!.path,
          ingestServiceDefinition.stream!.requestSerialize,
          ingestServiceDefinition.stream!.responseDeserialize,
        ) as ClientDuplexStream<StreamRequest, StreamResponse>;
        call.on("error", () => {});
        await new Promise<void>((resolve) => {
          call.once("data", () => resolve());
          call.write(hello("web2", 99n));
        });
        return { client, call };
      }),
    );
    const outcome = await converse(collector.grpcPort, await probeCreds("web2"), [hello("web2", 99n)]);
    for (const { client, call } of held) {
      call.cancel();
      client.close();
    }
    expect(outcome.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(outcome.error?.details).toBe("collector is serving its limit of 3 probe streams; retry later");
  });

  it("refuses a probe reporting a host id its certificate does not name", async () => {
    const outcome = await converse(collector.grpcPort, await probeCreds("web1"), [hello("web2")]);
    expect(outcome.error?.code).toBe(status.PERMISSION_DENIED);
    expect(outcome.error?.details).toBe("certificate web1 may not report for host web2");
  });

  it("refuses a batch for another host on a welcomed stream", async () => {
    const outcome = await converse(collector.grpcPort, await probeCreds("web2"), [hello("web2", 7n), batch("web1", 1n, 7n)]);
    expect(outcome.responses.map((r) => r.kind.case)).toEqual(["welcome"]);
    expect(outcome.error?.code).toBe(status.PERMISSION_DENIED);
    expect(outcome.error?.details).toBe('batch.host_id "web1" differs from the stream\'s host web2');
  });

  it("refuses a batch before hello", async () => {
    const outcome = await converse(collector.grpcPort, await probeCreds("web2"), [batch("web2", 1n)]);
    expect(outcome.error?.code).toBe(status.FAILED_PRECONDITION);
    expect(outcome.error?.details).toBe("batch sent before hello");
  });
});
