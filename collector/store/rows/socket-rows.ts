import { SocketDirection, SocketSource, type Batch } from "../../../shared/gen/spamtrace/v1/ingest_pb.js";
import { toClickHouseDateTime } from "../clickhouse/datetime.js";
import type { Row } from "../clickhouse/store.js";

const DIRECTION: Record<SocketDirection, string> = {
  [SocketDirection.UNSPECIFIED]: "unknown",
  [SocketDirection.LISTEN]: "listen",
  [SocketDirection.INBOUND]: "inbound",
  [SocketDirection.OUTBOUND]: "outbound",
};

const SOURCE: Record<SocketSource, string> = {
  [SocketSource.UNSPECIFIED]: "unknown",
  [SocketSource.PROC]: "proc",
  [SocketSource.LSOF]: "lsof",
};

/** Rows of `socket_snapshots` for one batch: one row per socket per snapshot. */
export function socketRows(batch: Batch): Row[] {
  const rows: Row[] = [];
  for (const snapshot of batch.socketSnapshots) {
    const observedMs = Number(snapshot.observedAtUnixMs);
    for (const socket of snapshot.sockets) {
      const p = socket.process;
      rows.push({
        host_id: batch.hostId,
        stream_epoch: batch.streamEpoch.toString(),
        batch_seq: batch.seq.toString(),
        observed_at: toClickHouseDateTime(observedMs),
        observed_at_unix_ms: observedMs,
        started_at_unix_ms: Number(snapshot.startedAtUnixMs),
        source: SOURCE[snapshot.source] ?? "unknown",
        samples: snapshot.samples,
        proto: socket.proto,
        state: socket.state,
        direction: DIRECTION[socket.direction] ?? "unknown",
        local_address: socket.localAddress,
        local_port: socket.localPort,
        remote_address: socket.remoteAddress,
        remote_port: socket.remotePort,
        inode: socket.inode.toString(),
        first_seen_unix_ms: Number(socket.firstSeenUnixMs),
        last_seen_unix_ms: Number(socket.lastSeenUnixMs),
        socket_uid: socket.socketUid,
        pid: p?.pid ?? 0,
        ppid: p?.ppid ?? 0,
        uid: p ? p.uid : null,
        user: p?.user ?? "",
        comm: p?.comm ?? "",
        argv: p?.argv ?? [],
        exe: p?.exe ?? "",
        exe_deleted: p?.exeDeleted ? 1 : 0,
        cwd: p?.cwd ?? "",
        process_start_unix_ms: p ? Number(p.startTimeUnixMs) : 0,
        exe_sha256: p?.exeSha256 ?? "",
      });
    }
  }
  return rows;
}
