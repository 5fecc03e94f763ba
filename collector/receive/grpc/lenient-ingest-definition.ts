import { create, fromBinary } from "@bufbuild/protobuf";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { StreamRequestSchema, type StreamRequest } from "../../../shared/gen/spamtrace/v1/ingest_pb.js";
import { ingestServiceDefinition } from "../../../shared/grpc/ingest-service.js";

const decodeErrors = new WeakMap<StreamRequest, string>();

/** Why a request could not be decoded, or undefined when it was decoded. */
export function decodeErrorOf(request: StreamRequest): string | undefined {
  return decodeErrors.get(request);
}

/**
 * The server's IngestService definition. grpc-js answers a request its
 * deserializer throws on with INTERNAL; garbage from a probe is the probe's
 * fault, so undecodable bytes become an empty request carrying the reason,
 * which the handler refuses with INVALID_ARGUMENT (and counts).
 */
export const lenientIngestDefinition: ServiceDefinition = {
  ...ingestServiceDefinition,
  stream: {
    ...ingestServiceDefinition.stream!,
    requestDeserialize: (bytes: Buffer): StreamRequest => {
      try {
        return fromBinary(StreamRequestSchema, bytes);
      } catch (error) {
        const empty = create(StreamRequestSchema);
        decodeErrors.set(empty, (error as Error).message);
        return empty;
      }
    },
  },
};
