import { IngestService } from "../gen/spamtrace/v1/ingest_pb.js";
import { toGrpcServiceDefinition } from "./service-definition.js";

/** grpc-js definition of spamtrace.v1.IngestService, shared by probe and collector. */
export const ingestServiceDefinition = toGrpcServiceDefinition(IngestService);

/** Default TCP port of the collector's gRPC listener. */
export const DEFAULT_COLLECTOR_GRPC_PORT = 7443;
