import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { BatchSchema, SocketDirection, SocketSnapshotSchema, SocketSource } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { SocketRecord } from "../../shared/types/socket-record.js";
import type { SocketInterval } from "../collect/sockets/accumulate-sockets.js";
import { buildBatch, toSocketSnapshot } from "./build-batch.js";

const T0 = 1_700_000_000_000;

function record(fields: Partial<SocketRecord> = {}): SocketRecord {
  return {
    proto: "tcp",
    state: "ESTABLISHED",
    direction: "outbound",
    local_address: "192.0.2.10",
    local_port: 41234,
    remote_address: "198.51.100.7",
    remote_port: 25,
    inode: "123",
    pid: 4242,
    ppid: 1,
    uid: 1001,
    user: "site1",
    comm: "php",
    argv: ["php", "mailer.php"],
    exe: "/usr/bin/php8.2",
    exe_deleted: false,
    cwd: "/home/site1",
    ...fields,
  };
}

function interval(records: SocketRecord[]): SocketInterval {
  return { startedAtMs: T0, endedAtMs: T0 + 10_000, samples: 20, sockets: records.map((r, i) => ({ record: r, firstSeenMs: T0 + i, lastSeenMs: T0 + 100 + i })) };
}

describe("toSocketSnapshot", () => {
  it("carries the interval and each socket's fields", () => {
    const snapshot = toSocketSnapshot(interval([record()]), "proc");
    expect({
      observedAtUnixMs: snapshot.observedAtUnixMs,
      startedAtUnixMs: snapshot.startedAtUnixMs,
      source: snapshot.source,
      samples: snapshot.samples,
      sockets: snapshot.sockets.length,
    }).toEqual({ observedAtUnixMs: BigInt(T0 + 10_000), startedAtUnixMs: BigInt(T0), source: SocketSource.PROC, samples: 20, sockets: 1 });
    const s = snapshot.sockets[0]!;
    expect({
      proto: s.proto,
      state: s.state,
      direction: s.direction,
      localAddress: s.localAddress,
      localPort: s.localPort,
      remoteAddress: s.remoteAddress,
      remotePort: s.remotePort,
      inode: s.inode,
      firstSeenUnixMs: s.firstSeenUnixMs,
      lastSeenUnixMs: s.lastSeenUnixMs,
      socketUid: s.socketUid,
    }).toEqual({
      proto: "tcp",
      state: "ESTABLISHED",
      direction: SocketDirection.OUTBOUND,
      localAddress: "192.0.2.10",
      localPort: 41234,
      remoteAddress: "198.51.100.7",
      remotePort: 25,
      inode: 123n,
      firstSeenUnixMs: BigInt(T0),
      lastSeenUnixMs: BigInt(T0 + 100),
      socketUid: 1001,
    });
    const p = s.process!;
    expect({ pid: p.pid, ppid: p.ppid, uid: p.uid, user: p.user, comm: p.comm, argv: p.argv, exe: p.exe, exeDeleted: p.exeDeleted, cwd: p.cwd }).toEqual({
      pid: 4242,
      ppid: 1,
      uid: 1001,
      user: "site1",
      comm: "php",
      argv: ["php", "mailer.php"],
      exe: "/usr/bin/php8.2",
      exeDeleted: false,
      cwd: "/home/site1",
    });
  });

  it.each([
    { input: "proc" as const, output: SocketSource.PROC },
    { input: "lsof" as const, output: SocketSource.LSOF },
  ])("source $input", ({ input, output }) => {
    expect(toSocketSnapshot(interval([]), input).source).toBe(output);
  });

  it.each([
    { input: "listen" as const, output: SocketDirection.LISTEN },
    { input: "inbound" as const, output: SocketDirection.INBOUND },
    { input: "outbound" as const, output: SocketDirection.OUTBOUND },
  ])("direction $input", ({ input, output }) => {
    expect(toSocketSnapshot(interval([record({ direction: input })]), "proc").sockets[0]!.direction).toBe(output);
  });

  it.each([
    { name: "decimal inode", input: "4026531993", output: 4_026_531_993n },
    { name: "inode above 2^53 exactly", input: "18446744073709551615", output: 18_446_744_073_709_551_615n },
    { name: "empty inode", input: "", output: 0n },
  ])("$name", ({ input, output }) => {
    expect(toSocketSnapshot(interval([record({ inode: input })]), "proc").sockets[0]!.inode).toBe(output);
  });

  it("sends no process when none was resolved, and the socket uid as 0 when unknown", () => {
    const s = toSocketSnapshot(
      interval([record({ pid: null, ppid: null, uid: null, user: null, comm: null, argv: [], exe: null, cwd: null })]),
      "proc",
    ).sockets[0]!;
    expect({ process: s.process, socketUid: s.socketUid }).toEqual({ process: undefined, socketUid: 0 });
  });

  it("fills unknown process fields with zero values", () => {
    const p = toSocketSnapshot(interval([record({ ppid: null, uid: null, user: null, comm: null, exe: null, cwd: null, exe_deleted: true })]), "proc").sockets[0]!
      .process!;
    expect({ pid: p.pid, ppid: p.ppid, uid: p.uid, user: p.user, comm: p.comm, exe: p.exe, exeDeleted: p.exeDeleted, cwd: p.cwd }).toEqual({
      pid: 4242,
      ppid: 0,
      uid: 0,
      user: "",
      comm: "",
      exe: "",
      exeDeleted: true,
      cwd: "",
    });
  });
});

describe("buildBatch", () => {
  it("numbers the batch and survives the wire encoding", () => {
    const snapshot = create(SocketSnapshotSchema, { observedAtUnixMs: BigInt(T0), samples: 1 });
    const batch = buildBatch({ hostId: "web1", epoch: 1_699_000_000_000n, seq: 2n ** 64n - 1n, nowMs: T0 + 5, snapshots: [snapshot], evictedTotal: 3 });
    const decoded = fromBinary(BatchSchema, toBinary(BatchSchema, batch));
    expect({
      hostId: decoded.hostId,
      streamEpoch: decoded.streamEpoch,
      seq: decoded.seq,
      createdAtUnixMs: decoded.createdAtUnixMs,
      evictedBatchesTotal: decoded.evictedBatchesTotal,
      snapshots: decoded.socketSnapshots.map((s) => [s.observedAtUnixMs, s.samples]),
    }).toEqual({
      hostId: "web1",
      streamEpoch: 1_699_000_000_000n,
      seq: 18_446_744_073_709_551_615n,
      createdAtUnixMs: BigInt(T0 + 5),
      evictedBatchesTotal: 3n,
      snapshots: [[BigInt(T0), 1]],
    });
  });
});
