import { create } from "@bufbuild/protobuf";
import {
  BatchSchema,
  ProcessInfoSchema,
  SocketDirection,
  SocketSchema,
  SocketSnapshotSchema,
  SocketSource,
  type Batch,
  type Socket,
  type SocketSnapshot,
} from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { SocketRecord, SocketSource as SourceName } from "../../shared/types/socket-record.js";
import type { SocketInterval } from "../collect/sockets/accumulate-sockets.js";

const DIRECTION: Record<SocketRecord["direction"], SocketDirection> = {
  listen: SocketDirection.LISTEN,
  inbound: SocketDirection.INBOUND,
  outbound: SocketDirection.OUTBOUND,
};

/** Turns an interval of socket samples into a SocketSnapshot message. */
export function toSocketSnapshot(interval: SocketInterval, source: SourceName): SocketSnapshot {
  return create(SocketSnapshotSchema, {
    observedAtUnixMs: BigInt(interval.endedAtMs),
    startedAtUnixMs: BigInt(interval.startedAtMs),
    source: source === "proc" ? SocketSource.PROC : SocketSource.LSOF,
    samples: interval.samples,
    sockets: interval.sockets.map((s) => toSocket(s.record, s.firstSeenMs, s.lastSeenMs)),
  });
}

function toSocket(r: SocketRecord, firstSeenMs: number, lastSeenMs: number): Socket {
  return create(SocketSchema, {
    proto: r.proto,
    state: r.state,
    direction: DIRECTION[r.direction],
    localAddress: r.local_address,
    localPort: r.local_port,
    remoteAddress: r.remote_address,
    remotePort: r.remote_port,
    inode: BigInt(r.inode || "0"),
    firstSeenUnixMs: BigInt(firstSeenMs),
    lastSeenUnixMs: BigInt(lastSeenMs),
    socketUid: r.uid ?? 0,
    ...(r.pid === null
      ? {}
      : {
          process: create(ProcessInfoSchema, {
            pid: r.pid,
            ppid: r.ppid ?? 0,
            uid: r.uid ?? 0,
            user: r.user ?? "",
            comm: r.comm ?? "",
            argv: r.argv,
            exe: r.exe ?? "",
            exeDeleted: r.exe_deleted,
            cwd: r.cwd ?? "",
          }),
        }),
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
