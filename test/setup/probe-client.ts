import { credentials, makeGenericClientConstructor, type ChannelCredentials, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { BatchSchema, HelloSchema, StreamRequestSchema, type StreamRequest, type StreamResponse } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import { ingestServiceDefinition } from "../../shared/grpc/ingest-service.js";

const Client = makeGenericClientConstructor(ingestServiceDefinition, "IngestService");

/** What came back on one stream. */
export interface Conversation {
  responses: StreamResponse[];
  /** When each response arrived (Date.now()), in order. */
  receivedAtMs: number[];
  error: ServiceError | undefined;
}

/**
 * A hand-driven probe stream: sends the requests, half-closes once every
 * request got an answer, and collects responses and the final status.
 * `serialize` replaces the normal encoder, to send malformed bytes.
 */
export function converse(
  port: number,
  creds: ChannelCredentials,
  requests: StreamRequest[],
  serialize: (value: StreamRequest) => Buffer = ingestServiceDefinition.stream!.requestSerialize as (value: StreamRequest) => Buffer,
): Promise<Conversation> {
  const client = new Client(`127.0.0.1:${port}`, creds, { "grpc.ssl_target_name_override": "localhost" });
  const call = client.makeBidiStreamRequest(
    ingestServiceDefinition.stream!.path,
    serialize,
    ingestServiceDefinition.stream!.responseDeserialize,
  ) as ClientDuplexStream<StreamRequest, StreamResponse>;
  const responses: StreamResponse[] = [];
  const receivedAtMs: number[] = [];
  return new Promise((resolve) => {
    call.on("data", (r: StreamResponse) => {
      responses.push(r);
      receivedAtMs.push(Date.now());
      if (responses.length === requests.length) call.end();
    });
    call.on("error", (error: ServiceError) => {
      client.close();
      resolve({ responses, receivedAtMs, error });
    });
    call.on("end", () => {
      client.close();
      resolve({ responses, receivedAtMs, error: undefined });
    });
    for (const r of requests) call.write(r);
  });
}

/** Client credentials of probe `hostId` from a certs dir written by certsInit. */
export async function probeCredentials(certsDir: string, hostId: string): Promise<ChannelCredentials> {
  const read = (name: string): Promise<Buffer> => readFile(join(certsDir, name));
  return credentials.createSsl(await read("ca.crt"), await read(`probe-${hostId}.key`), await read(`probe-${hostId}.crt`));
}

/** A Hello request. */
export function helloRequest(hostId: string, epoch = 1000n, init: Parameters<typeof create<typeof HelloSchema>>[1] = {}): StreamRequest {
  return create(StreamRequestSchema, { kind: { case: "hello", value: create(HelloSchema, { hostId, hostname: hostId, streamEpoch: epoch, ...init }) } });
}

/** A Batch request. */
export function batchRequest(hostId: string, seq: bigint, epoch = 1000n, init: Parameters<typeof create<typeof BatchSchema>>[1] = {}): StreamRequest {
  return create(StreamRequestSchema, {
    kind: { case: "batch", value: create(BatchSchema, { hostId, streamEpoch: epoch, seq, createdAtUnixMs: BigInt(Date.now()), ...init }) },
  });
}
