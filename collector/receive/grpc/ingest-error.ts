import { status } from "@grpc/grpc-js";
import { StoreError } from "../../store/clickhouse/store.js";

/** Why the collector refuses or cannot take a probe message. */
export type IngestErrorCode =
  | "invalid_argument"
  | "permission_denied"
  | "unauthenticated"
  | "failed_precondition"
  | "resource_exhausted"
  | "unavailable"
  | "internal";

/** The one error type of the ingest path; the stage that knows picks the code. */
export class IngestError extends Error {
  override name = "IngestError";
  constructor(
    readonly code: IngestErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Converts anything caught on the ingest path, once. */
  static from(error: unknown): IngestError {
    if (error instanceof IngestError) return error;
    if (error instanceof StoreError) {
      return new IngestError(error.retryable ? "unavailable" : "internal", `storage failed: ${error.message}`, { cause: error });
    }
    return new IngestError("internal", error instanceof Error ? error.message : String(error), { cause: error });
  }
}

const GRPC_STATUS: Record<IngestErrorCode, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  permission_denied: status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  failed_precondition: status.FAILED_PRECONDITION,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
  internal: status.INTERNAL,
};

/** The single place where ingest errors become gRPC statuses. */
export function toGrpcStatus(error: IngestError): { code: status; details: string } {
  return { code: GRPC_STATUS[error.code], details: error.message };
}
