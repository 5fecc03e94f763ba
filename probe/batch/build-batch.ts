import { create } from "@bufbuild/protobuf";
import { BatchSchema, SocketSnapshotSchema, SocketSource, type Batch, type SocketSnapshot } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { SocketSource as SourceName } from "../../shared/types/socket-record.js";
import { toSocketMessage } from "../../shared/types/socket-message.js";
import type { SocketInterval } from "../collect/sockets/accumulate-sockets.js";

/** Turns an interval of socket samples into a SocketSnapshot message. */
export function toSocketSnapshot(interval: SocketInterval, source: SourceName): SocketSnapshot {
  return create(SocketSnapshotSchema, {
    observedAtUnixMs: BigInt(interval.endedAtMs),
    startedAtUnixMs: BigInt(interval.startedAtMs),
    source: source === "proc" ? SocketSource.PROC : SocketSource.LSOF,
    samples: interval.samples,
    sockets: interval.sockets.map((s) => toSocketMessage(s.record, s.firstSeenMs, s.lastSeenMs)),
  });
}

/** Builds the batch with sequence number `seq` of a stream. */
export function buildBatch(fields: { hostId: string; epoch: bigint; seq: bigint; nowMs: number; snapshots: SocketSnapshot[]; evictedTotal: number }): Batch {
  return create(BatchSchema, {
    hostId: fields.hostId,
    streamEpoch: fields.epoch,
    seq: fields.seq,
    createdAtUnixMs: BigInt(fields.nowMs),
    socketSnapshots: fields.snapshots,
    evictedBatchesTotal: BigInt(fields.evictedTotal),
  });
}
