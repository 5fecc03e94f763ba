import { describe, expect, it } from "vitest";
import type { SocketRecord } from "../../../shared/types/socket-record.js";
import { SocketAccumulator } from "./accumulate-sockets.js";

function record(fields: Partial<SocketRecord> = {}): SocketRecord {
  return {
    proto: "tcp",
    state: "ESTABLISHED",
    direction: "outbound",
    local_address: "192.0.2.10",
    local_port: 41234,
    remote_address: "198.51.100.7",
    remote_port: 25,
    inode: "1001",
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

const NO_PROCESS: Partial<SocketRecord> = { pid: null, ppid: null, uid: 1001, user: null, comm: null, argv: [], exe: null, exe_deleted: false, cwd: null };

/** Drains at `endMs` after adding each [records, atMs] sample; sockets as [inode, state, pid, first, last]. */
function run(samples: Array<[SocketRecord[], number]>, endMs: number) {
  const acc = new SocketAccumulator(0);
  for (const [records, at] of samples) acc.add(records, at);
  const interval = acc.drain(endMs);
  return {
    startedAtMs: interval.startedAtMs,
    endedAtMs: interval.endedAtMs,
    samples: interval.samples,
    sockets: interval.sockets.map((s) => [s.record.inode, s.record.state, s.record.pid, s.firstSeenMs, s.lastSeenMs]),
  };
}

describe("SocketAccumulator", () => {
  it.each([
    { name: "no samples", input: [] as Array<[SocketRecord[], number]>, output: { startedAtMs: 0, endedAtMs: 1000, samples: 0, sockets: [] } },
    {
      name: "empty samples still count",
      input: [[[], 100], [[], 200]] as Array<[SocketRecord[], number]>,
      output: { startedAtMs: 0, endedAtMs: 1000, samples: 2, sockets: [] },
    },
    {
      name: "union of samples with first and last seen; latest state wins",
      input: [
        [[record({ inode: "1", state: "SYN_SENT" })], 100],
        [[record({ inode: "1" }), record({ inode: "2", local_port: 41235 })], 200],
        [[record({ inode: "2", local_port: 41235 })], 300],
        [[record({ inode: "1", state: "FIN_WAIT1" })], 400],
      ] as Array<[SocketRecord[], number]>,
      output: {
        startedAtMs: 0,
        endedAtMs: 1000,
        samples: 4,
        sockets: [
          ["1", "FIN_WAIT1", 4242, 100, 400],
          ["2", "ESTABLISHED", 4242, 200, 300],
        ],
      },
    },
    {
      name: "a socket seen once (a two-second spam connection) is kept",
      input: [
        [[], 100],
        [[record({ inode: "9" })], 200],
        [[], 300],
      ] as Array<[SocketRecord[], number]>,
      output: { startedAtMs: 0, endedAtMs: 1000, samples: 3, sockets: [["9", "ESTABLISHED", 4242, 200, 200]] },
    },
    {
      name: "same endpoints, different inode: two sockets (port reuse)",
      input: [
        [[record({ inode: "1" })], 100],
        [[record({ inode: "2" })], 200],
      ] as Array<[SocketRecord[], number]>,
      output: { startedAtMs: 0, endedAtMs: 1000, samples: 2, sockets: [["1", "ESTABLISHED", 4242, 100, 100], ["2", "ESTABLISHED", 4242, 200, 200]] },
    },
    {
      name: "same inode, tcp and tcp6: two sockets",
      input: [[[record({ inode: "0", proto: "tcp" }), record({ inode: "0", proto: "tcp6" })], 100]] as Array<[SocketRecord[], number]>,
      output: { startedAtMs: 0, endedAtMs: 1000, samples: 1, sockets: [["0", "ESTABLISHED", 4242, 100, 100], ["0", "ESTABLISHED", 4242, 100, 100]] },
    },
    {
      name: "same socket listed twice in one sample: one socket",
      input: [[[record(), record()], 100]] as Array<[SocketRecord[], number]>,
      output: { startedAtMs: 0, endedAtMs: 1000, samples: 1, sockets: [["1001", "ESTABLISHED", 4242, 100, 100]] },
    },
  ])("$name", ({ input, output }) => {
    expect(run(input, 1000)).toEqual(output);
  });

  it("keeps the process when a later sample lacks it, with the later state", () => {
    const acc = new SocketAccumulator(0);
    acc.add([record()], 100);
    acc.add([record({ ...NO_PROCESS, state: "TIME_WAIT" })], 200);
    expect(acc.drain(300).sockets).toEqual([{ record: record({ state: "TIME_WAIT" }), firstSeenMs: 100, lastSeenMs: 200 }]);
  });

  it("takes the process once a later sample has it", () => {
    const acc = new SocketAccumulator(0);
    acc.add([record({ ...NO_PROCESS, state: "SYN_SENT" })], 100);
    acc.add([record()], 200);
    expect(acc.drain(300).sockets).toEqual([{ record: record(), firstSeenMs: 100, lastSeenMs: 200 }]);
  });

  it("takes a different process when a later sample names one (pid reuse, fd passing)", () => {
    const acc = new SocketAccumulator(0);
    acc.add([record()], 100);
    acc.add([record({ pid: 5000, comm: "sendmail", argv: ["sendmail", "-t"] })], 200);
    expect(acc.drain(300).sockets).toEqual([{ record: record({ pid: 5000, comm: "sendmail", argv: ["sendmail", "-t"] }), firstSeenMs: 100, lastSeenMs: 200 }]);
  });

  it("drain returns the interval and starts a new, empty one", () => {
    const acc = new SocketAccumulator(1000);
    acc.add([record({ inode: "1" })], 1100);
    acc.add([record({ inode: "1" })], 1200);
    const first = acc.drain(2000);
    expect({ ...first, sockets: first.sockets.length }).toEqual({ startedAtMs: 1000, endedAtMs: 2000, samples: 2, sockets: 1 });

    expect(acc.drain(3000)).toEqual({ startedAtMs: 2000, endedAtMs: 3000, samples: 0, sockets: [] });

    acc.add([record({ inode: "1" })], 3500);
    expect(acc.drain(4000)).toEqual({ startedAtMs: 3000, endedAtMs: 4000, samples: 1, sockets: [{ record: record({ inode: "1" }), firstSeenMs: 3500, lastSeenMs: 3500 }] });
    // The first interval is not changed by later samples.
    expect(first.sockets[0]).toEqual({ record: record({ inode: "1" }), firstSeenMs: 1100, lastSeenMs: 1200 });
  });
});
