import type { ServerDuplexStream } from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  AckSchema,
  StreamResponseSchema,
  WelcomeSchema,
  type Hello,
  type StreamRequest,
  type StreamResponse,
} from "../../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { Logger } from "../../../shared/log/logger.js";
import { readPeerIdentity } from "../../certs/read-peer-identity.js";
import type { CollectorMetrics } from "../../admin/metrics.js";
import type { BatchWriter, StreamCursor } from "../../store/batch-writer.js";
import { IngestError, toGrpcStatus } from "./ingest-error.js";
import { decodeErrorOf } from "./lenient-ingest-definition.js";
import { StreamRowBudget, type StreamRowBudgetSettings } from "./stream-row-budget.js";
import { validateBatch, validateHello, type IngestLimits } from "./validate-message.js";

/** What the ingest handler needs. */
export interface IngestHandlerDeps {
  writer: BatchWriter;
  metrics: CollectorMetrics;
  limits: IngestLimits;
  logger: Logger;
  /** False only in the explicit insecure (plaintext) mode: no certificate to bind the host id to. */
  requireIdentity: boolean;
  /** Reported in Welcome. */
  collectorVersion: string;
  /** Revoked client certificates: serial numbers and SHA-256 fingerprints, hex without colons, upper case. */
  revoked: ReadonlySet<string>;
  /** Most probe streams served at once; beyond it a stream gets RESOURCE_EXHAUSTED and the probe backs off. */
  maxStreams: number;
  /** Each stream's share of the rows stored (limits.streamRowsPerSecond, limits.streamBurstRows). */
  rowBudget: StreamRowBudgetSettings;
}

/** Normalises a certificate serial or fingerprint for the revocation list ("ab:cd" -> "ABCD"). */
export function normaliseCertificateId(id: string): string {
  return id.replace(/[^0-9a-fA-F]/g, "").toUpperCase();
}

/**
 * Serves one probe stream: Hello → Welcome, then Batch → store → Ack, one
 * message at a time. Reading the stream with `for await` stops reading while
 * a batch is being stored, so HTTP/2 flow control holds a fast probe back
 * instead of queueing its batches in memory.
 */
export function createIngestHandler(deps: IngestHandlerDeps): (call: ServerDuplexStream<StreamRequest, StreamResponse>) => void {
  const streams = { active: 0 };
  return (call) => {
    void serveStream(call, deps, streams);
  };
}

async function serveStream(call: ServerDuplexStream<StreamRequest, StreamResponse>, deps: IngestHandlerDeps, streams: { active: number }): Promise<void> {
  const { metrics, logger } = deps;
  const certificate = call.getAuthContext()?.sslPeerCertificate;
  const certName = readPeerIdentity(certificate);
  const peer = call.getPeer();
  let hello: Hello | undefined;
  let cursor: StreamCursor | undefined;
  const budget = new StreamRowBudget(deps.rowBudget);
  metrics.streamsActive.inc();
  streams.active++;
  try {
    if (deps.requireIdentity && certName === null) throw new IngestError("unauthenticated", "a client certificate is required");
    if (certificate && [certificate.serialNumber, certificate.fingerprint256].some((id) => id && deps.revoked.has(normaliseCertificateId(id)))) {
      throw new IngestError("permission_denied", `certificate ${certName} (serial ${certificate.serialNumber}) is revoked`);
    }
    if (streams.active > deps.maxStreams) {
      throw new IngestError("resource_exhausted", `collector is serving its limit of ${deps.maxStreams} probe streams; retry later`);
    }
    // destroyOnReturn: false, because the default destroys the call when the
    // loop ends, and a destroyed call can no longer send its status.
    for await (const request of call.iterator({ destroyOnReturn: false }) as AsyncIterable<StreamRequest>) {
      const kind = request.kind;
      if (kind.case === "hello") {
        if (hello) throw new IngestError("failed_precondition", "hello sent twice on one stream");
        validateHello(kind.value, deps.limits);
        if (deps.requireIdentity && kind.value.hostId !== certName) {
          throw new IngestError("permission_denied", `certificate ${certName} may not report for host ${kind.value.hostId}`);
        }
        hello = kind.value;
        cursor = await deps.writer.openStream(hello, certName ?? "");
        logger.info({ host_id: hello.hostId, epoch: hello.streamEpoch.toString(), stored_through: cursor.storedThrough.toString(), peer }, "probe stream opened");
        send(call, {
          case: "welcome",
          value: create(WelcomeSchema, {
            storedThroughSeq: cursor.storedThrough,
            collectorVersion: deps.collectorVersion,
            maxBatchBytes: deps.limits.maxMessageBytes,
          }),
        });
      } else if (kind.case === "batch") {
        if (!hello || !cursor) throw new IngestError("failed_precondition", "batch sent before hello");
        const batch = kind.value;
        try {
          validateBatch(batch, hello, deps.limits, Date.now());
        } catch (error) {
          metrics.batches.inc({ outcome: "rejected" });
          throw error;
        }
        const timer = metrics.storeSeconds.startTimer();
        const outcome = await deps.writer.storeBatch(cursor, batch).catch((error: unknown) => {
          metrics.batches.inc({ outcome: "failed" });
          throw error;
        });
        timer();
        metrics.batches.inc({ outcome: outcome.duplicate ? "duplicate" : "stored" });
        for (const [table, n] of Object.entries(outcome.rows)) metrics.rowsWritten.inc({ table }, n);
        metrics.evictedBatches.set({ host_id: batch.hostId }, Number(batch.evictedBatchesTotal));
        if (batch.evictedBatchesTotal > 0n && !outcome.duplicate) {
          logger.error({ host_id: batch.hostId, evicted_batches_total: batch.evictedBatchesTotal.toString() }, "probe reports batches evicted from its full spool (data lost)");
        }
        send(call, { case: "ack", value: create(AckSchema, { streamEpoch: batch.streamEpoch, seq: batch.seq, duplicate: outcome.duplicate }) });
        // Over its share: the next message is read later (the batch just stored is acknowledged already).
        const waitMs = budget.spend(Object.values(outcome.rows).reduce((a, b) => a + b, 1));
        if (waitMs > 0) {
          metrics.pacedSeconds.inc({ host_id: batch.hostId }, waitMs / 1000);
          await new Promise((resolve) => setTimeout(resolve, waitMs));
        }
      } else {
        throw new IngestError("invalid_argument", `undecodable stream request: ${decodeErrorOf(request) ?? "no hello or batch in it"}`);
      }
    }
    call.end();
  } catch (caught) {
    const error = IngestError.from(caught);
    metrics.streamErrors.inc({ code: error.code });
    const level = error.code === "unavailable" || error.code === "internal" ? "error" : "warn";
    logger[level]({ host_id: hello?.hostId, cert: certName, peer, code: error.code, err: error.message }, "probe stream ended with error");
    if (!call.cancelled) call.emit("error", toGrpcStatus(error));
  } finally {
    streams.active--;
    metrics.streamsActive.dec();
  }
}

function send(call: ServerDuplexStream<StreamRequest, StreamResponse>, kind: StreamResponse["kind"]): void {
  call.write(create(StreamResponseSchema, { kind }));
}
