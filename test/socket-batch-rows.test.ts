// The probe's socket records, through its batch and the wire encoding, into
// the collector's rows: a test across both sides, so it lives here rather
// than beside either (collector/ tests never import probe/ internals).
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { buildBatch, toSocketSnapshot } from "../probe/batch/build-batch.js";
import { SocketAccumulator } from "../probe/collect/sockets/accumulate-sockets.js";
import { BatchSchema } from "../shared/gen/spamtrace/v1/ingest_pb.js";
import type { SocketRecord } from "../shared/types/socket-record.js";
import { dialectFor } from "../collector/store/clickhouse/dialect.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { socketRows } from "../collector/store/rows/socket-rows.js";

// 2023-11-14 22:13:20 UTC
const T0 = 1_700_000_000_000;

const SPAMMER: SocketRecord = {
  proto: "tcp",
  state: "ESTABLISHED",
  direction: "outbound",
  local_address: "192.0.2.10",
  local_port: 41234,
  remote_address: "198.51.100.7",
  remote_port: 25,
  inode: "18446744073709551615",
  pid: 4242,
  ppid: 1,
  uid: 1001,
  user: "site1",
  comm: "php",
  argv: ["php", "-f", "/home/site1/wp-content/uploads/x.php"],
  exe: "/usr/bin/php8.2",
  exe_deleted: true,
  cwd: "/home/site1",
};

const TIME_WAIT: SocketRecord = {
  proto: "tcp6",
  state: "TIME_WAIT",
  direction: "inbound",
  local_address: "2001:db8::10",
  local_port: 587,
  remote_address: "2001:db8::99",
  remote_port: 50123,
  inode: "0",
  pid: null,
  ppid: null,
  uid: null,
  user: null,
  comm: null,
  argv: [],
  exe: null,
  exe_deleted: false,
  cwd: null,
};

const LISTENER: SocketRecord = {
  ...TIME_WAIT,
  proto: "tcp",
  state: "LISTEN",
  direction: "listen",
  local_address: "0.0.0.0",
  local_port: 25,
  remote_address: "0.0.0.0",
  remote_port: 0,
  inode: "",
  uid: 0,
  pid: 812,
  ppid: null,
  user: null,
  comm: "master",
  argv: [],
};

/** Column names of `socket_snapshots` as created by the migrations. */
function socketSnapshotColumns(): string[] {
  const statements = MIGRATIONS.flatMap((m) => m.statements(dialectFor("26.7.2.1"), { database: "spamtrace", retentionDays: 180 }));
  const create = statements.find((s) => s.includes(".`socket_snapshots` ("))!;
  return [...create.matchAll(/^ {2}([a-z_0-9]+) /gm)].map((m) => m[1]!);
}

const ROW_BASE = {
  host_id: "web1.example.com",
  stream_epoch: "1699000000000",
  batch_seq: "9007199254740993",
  observed_at: "2023-11-14 22:13:30",
  observed_at_unix_ms: T0 + 10_999,
  started_at_unix_ms: T0,
  source: "lsof",
  samples: 3,
};

describe("SocketRecord → batch → rows", () => {
  it("keeps every column through the probe's batch, its wire encoding and the collector's rows", () => {
    const acc = new SocketAccumulator(T0);
    acc.add([SPAMMER, LISTENER], T0 + 500);
    acc.add([SPAMMER, LISTENER, TIME_WAIT], T0 + 1000);
    acc.add([LISTENER], T0 + 1500);
    const snapshot = toSocketSnapshot(acc.drain(T0 + 10_999), "lsof");
    const batch = buildBatch({ hostId: "web1.example.com", epoch: 1_699_000_000_000n, seq: 9_007_199_254_740_993n, nowMs: T0 + 11_000, snapshots: [snapshot], evictedTotal: 2 });
    const received = fromBinary(BatchSchema, toBinary(BatchSchema, batch));
    expect(received.evictedBatchesTotal).toBe(2n);
    expect(received.createdAtUnixMs).toBe(BigInt(T0 + 11_000));

    const rows = socketRows(received);
    expect(rows).toEqual([
      {
        ...ROW_BASE,
        proto: "tcp",
        state: "ESTABLISHED",
        direction: "outbound",
        local_address: "192.0.2.10",
        local_port: 41234,
        remote_address: "198.51.100.7",
        remote_port: 25,
        inode: "18446744073709551615",
        first_seen_unix_ms: T0 + 500,
        last_seen_unix_ms: T0 + 1000,
        socket_uid: 1001,
        pid: 4242,
        ppid: 1,
        uid: 1001,
        user: "site1",
        comm: "php",
        argv: ["php", "-f", "/home/site1/wp-content/uploads/x.php"],
        exe: "/usr/bin/php8.2",
        exe_deleted: 1,
        cwd: "/home/site1",
        process_start_unix_ms: 0,
        exe_sha256: "",
      },
      {
        ...ROW_BASE,
        proto: "tcp",
        state: "LISTEN",
        direction: "listen",
        local_address: "0.0.0.0",
        local_port: 25,
        remote_address: "0.0.0.0",
        remote_port: 0,
        inode: "0",
        first_seen_unix_ms: T0 + 500,
        last_seen_unix_ms: T0 + 1500,
        socket_uid: 0,
        pid: 812,
        ppid: 0,
        uid: 0,
        user: "",
        comm: "master",
        argv: [],
        exe: "",
        exe_deleted: 0,
        cwd: "",
        process_start_unix_ms: 0,
        exe_sha256: "",
      },
      {
        ...ROW_BASE,
        proto: "tcp6",
        state: "TIME_WAIT",
        direction: "inbound",
        local_address: "2001:db8::10",
        local_port: 587,
        remote_address: "2001:db8::99",
        remote_port: 50123,
        inode: "0",
        first_seen_unix_ms: T0 + 1000,
        last_seen_unix_ms: T0 + 1000,
        socket_uid: 0,
        pid: 0,
        ppid: 0,
        uid: null,
        user: "",
        comm: "",
        argv: [],
        exe: "",
        exe_deleted: 0,
        cwd: "",
        process_start_unix_ms: 0,
        exe_sha256: "",
      },
    ]);
    // Every row fills exactly the table's columns, in the table's order.
    for (const row of rows) expect(Object.keys(row)).toEqual(socketSnapshotColumns());
  });
});
