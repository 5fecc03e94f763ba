import { describe, expect, it } from "vitest";
import type { SocketRecord } from "../../../shared/types/socket-record.js";
import { sortSocketRecords } from "./sort-socket-records.js";

function record(inode: string, local_port: number, pid: number | null, proto: "tcp" | "tcp6" = "tcp"): SocketRecord {
  return {
    proto,
    state: "TIME_WAIT",
    direction: "outbound",
    local_address: "10.0.0.1",
    local_port,
    remote_address: "192.0.2.1",
    remote_port: 25,
    inode,
    pid,
    ppid: null,
    uid: null,
    user: null,
    comm: null,
    argv: [],
    exe: null,
    exe_deleted: false,
    cwd: null,
  };
}

describe("sortSocketRecords", () => {
  it("orders by numeric inode, then proto, endpoints and pid (null last)", () => {
    const input = [
      record("100", 1, 7),
      record("9", 1, 7),
      record("0", 40002, null),
      record("18446744073709551615", 1, 7),
      record("0", 40001, null, "tcp6"),
      record("0", 40001, null),
      record("10", 1, null),
      record("10", 1, 3),
    ];
    expect(sortSocketRecords(input).map((r) => [r.inode, r.proto, r.local_port, r.pid])).toEqual([
      ["0", "tcp", 40001, null],
      ["0", "tcp", 40002, null],
      ["0", "tcp6", 40001, null],
      ["9", "tcp", 1, 7],
      ["10", "tcp", 1, 3],
      ["10", "tcp", 1, null],
      ["100", "tcp", 1, 7],
      ["18446744073709551615", "tcp", 1, 7],
    ]);
  });

  it("puts non-decimal inodes (BSD lsof kernel addresses) after decimal ones", () => {
    expect(sortSocketRecords([record("0xfffff800", 1, 1), record("5", 1, 1)]).map((r) => r.inode)).toEqual(["5", "0xfffff800"]);
  });
});
