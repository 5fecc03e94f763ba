import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { BatchSchema, ProcessInfoSchema, SocketDirection, SocketSchema, SocketSnapshotSchema, SocketSource } from "../../../shared/gen/spamtrace/v1/ingest_pb.js";
import { socketRows } from "./socket-rows.js";

// 2023-11-14 22:13:20 UTC
const T0 = 1_700_000_000_000;

describe("socketRows", () => {
  it.each([
    { input: { direction: SocketDirection.UNSPECIFIED, source: SocketSource.UNSPECIFIED }, output: { direction: "unknown", source: "unknown" } },
    { input: { direction: SocketDirection.LISTEN, source: SocketSource.PROC }, output: { direction: "listen", source: "proc" } },
    { input: { direction: SocketDirection.INBOUND, source: SocketSource.LSOF }, output: { direction: "inbound", source: "lsof" } },
    { input: { direction: SocketDirection.OUTBOUND, source: SocketSource.PROC }, output: { direction: "outbound", source: "proc" } },
    // Enum numbers from a newer probe that this collector does not know yet.
    { input: { direction: 7 as SocketDirection, source: 9 as SocketSource }, output: { direction: "unknown", source: "unknown" } },
  ])("names direction $input.direction and source $input.source", ({ input, output }) => {
    const batch = create(BatchSchema, {
      hostId: "h",
      socketSnapshots: [create(SocketSnapshotSchema, { source: input.source, sockets: [create(SocketSchema, { direction: input.direction })] })],
    });
    const [row] = socketRows(batch);
    expect({ direction: row!.direction, source: row!.source }).toEqual(output);
  });

  it("writes the process start time and executable hash when the probe sends them", () => {
    const batch = create(BatchSchema, {
      hostId: "h",
      socketSnapshots: [
        create(SocketSnapshotSchema, {
          sockets: [create(SocketSchema, { process: create(ProcessInfoSchema, { pid: 7, uid: 0, startTimeUnixMs: BigInt(T0), exeSha256: "ab".repeat(32) }) })],
        }),
      ],
    });
    const [row] = socketRows(batch);
    expect({ pid: row!.pid, uid: row!.uid, process_start_unix_ms: row!.process_start_unix_ms, exe_sha256: row!.exe_sha256 }).toEqual({
      pid: 7,
      uid: 0,
      process_start_unix_ms: T0,
      exe_sha256: "ab".repeat(32),
    });
  });

  it("one row per socket per snapshot, in order; none for an empty batch", () => {
    const snapshot = (observedMs: number, inodes: bigint[]) =>
      create(SocketSnapshotSchema, { observedAtUnixMs: BigInt(observedMs), sockets: inodes.map((inode) => create(SocketSchema, { inode })) });
    const batch = create(BatchSchema, { hostId: "h", socketSnapshots: [snapshot(T0, [1n, 2n]), snapshot(T0 + 10_000, []), snapshot(T0 + 20_000, [3n])] });
    expect(socketRows(batch).map((r) => [r.observed_at, r.inode])).toEqual([
      ["2023-11-14 22:13:20", "1"],
      ["2023-11-14 22:13:20", "2"],
      ["2023-11-14 22:13:40", "3"],
    ]);
    expect(socketRows(create(BatchSchema, { hostId: "h" }))).toEqual([]);
  });
});
