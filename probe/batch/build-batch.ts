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

/** A uint32 field's value, or 0 when the source gave something no kernel would (garbled lsof/ps output). */
function u32(n: number | null): number {
  return n !== null && Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff ? n : 0;
}

function toSocket(r: SocketRecord, firstSeenMs: number, lastSeenMs: number): Socket {
  return create(SocketSchema, {
    proto: r.proto,
    state: r.state,
    direction: DIRECTION[r.direction],
    localAddress: r.local_address,
    localPort: u32(r.local_port),
    remoteAddress: r.remote_address,
    remotePort: u32(r.remote_port),
    inode: /^\d{1,20}$/.test(r.inode) && BigInt(r.inode) <= 0xffff_ffff_ffff_ffffn ? BigInt(r.inode) : 0n,
    firstSeenUnixMs: BigInt(firstSeenMs),
    lastSeenUnixMs: BigInt(lastSeenMs),
    socketUid: u32(r.uid),
    ...(r.pid === null
      ? {}
      : {
          process: create(ProcessInfoSchema, {
            pid: u32(r.pid),
            ppid: u32(r.ppid),
            uid: u32(r.uid),
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
