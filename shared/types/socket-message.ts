import { create } from "@bufbuild/protobuf";
import { ProcessInfoSchema, SocketDirection, SocketSchema, type Socket } from "../gen/spamtrace/v1/ingest_pb.js";
import type { SocketRecord } from "./socket-record.js";

const DIRECTION: Record<SocketRecord["direction"], SocketDirection> = {
  listen: SocketDirection.LISTEN,
  inbound: SocketDirection.INBOUND,
  outbound: SocketDirection.OUTBOUND,
};

/** A uint32 field's value, or 0 when the source gave something no kernel would (garbled lsof/ps output). */
function u32(n: number | null): number {
  return n !== null && Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff ? n : 0;
}

/** One socket record (the probe's /proc or lsof reading, or its `snapshot --json` output) as the wire message. */
export function toSocketMessage(r: SocketRecord, firstSeenMs: number, lastSeenMs: number): Socket {
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
