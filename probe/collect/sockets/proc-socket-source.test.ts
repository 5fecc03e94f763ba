import { mkdtemp, rm, unlink, writeFile, symlink } from "node:fs/promises";
import { endianness, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SocketRecord } from "../../../shared/types/socket-record.js";
import {
  CAPTURED_PASSWD,
  CAPTURED_PORTS,
  CAPTURED_PROCESSES,
  CAPTURED_PROC_NET_TCP,
  CAPTURED_PROC_NET_TCP6,
  CAPTURED_RECORDS,
} from "./captured-sockets.test-support.js";
import { createFakeProcTree, fakeStat, fakeStatus, writeFakeProcess, type FakeProcTree } from "./fake-proc-tree.test-support.js";
import { ProcSocketSampler, readSocketsFromProc } from "./proc-socket-source.js";
import { PasswdCache } from "./read-passwd.js";

// The captured /proc/net lines are little-endian; the parser follows the host's byte order.
const describeOnLittleEndian = endianness() === "LE" ? describe : describe.skip;

function tcpLine(slot: number, local: string, remote: string, state: string, uid: number, inode: number): string {
  return `  ${slot}: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 ${inode} 1 0000000000000000 20 4 30 10 -1`;
}

// 127.0.0.1:49990 → 203.0.113.5:38663, new outbound connection.
const NEW_OUTBOUND = (inode: number, port = "C346") => tcpLine(20, `0100007F:${port}`, "057100CB:9707", "01", 65534, inode);
// TIME_WAIT left by an earlier session: inode 0, uid 0.
const TIME_WAIT = tcpLine(21, "0100007F:C350", "0100007F:9707", "06", 0, 0);
// A socket no process can be found for (another pid namespace, or no permission).
const ORPHAN = tcpLine(22, "0100007F:C351", "0100007F:9707", "01", 1000, 18000);

describeOnLittleEndian("ProcSocketSampler", () => {
  let tree: FakeProcTree;
  let passwdDir: string;
  let passwd: PasswdCache;

  beforeEach(async () => {
    tree = await createFakeProcTree(CAPTURED_PROCESSES);
    await tree.writeNet(CAPTURED_PROC_NET_TCP, CAPTURED_PROC_NET_TCP6);
    passwdDir = await mkdtemp(join(tmpdir(), "spamtrace-passwd-"));
    await writeFile(join(passwdDir, "passwd"), CAPTURED_PASSWD);
    passwd = new PasswdCache({ path: join(passwdDir, "passwd") });
  });
  afterEach(async () => {
    await tree.remove();
    await rm(passwdDir, { recursive: true, force: true });
  });

  it("produces the same records as lsof did for the captured sockets", async () => {
    const sampler = new ProcSocketSampler({ ports: CAPTURED_PORTS, procRoot: tree.root, passwd });
    expect(await sampler.sample()).toEqual(CAPTURED_RECORDS);
    expect(sampler.stats).toEqual({ samples: 1, malformedLines: 0, ownerScans: 1, processReads: 2 });
  });

  it("reads only the socket tables when nothing new appeared", async () => {
    const sampler = new ProcSocketSampler({ ports: CAPTURED_PORTS, procRoot: tree.root, passwd });
    await sampler.sample();
    expect(await sampler.sample()).toEqual(CAPTURED_RECORDS);
    expect(await sampler.sample()).toEqual(CAPTURED_RECORDS);
    expect(sampler.stats).toEqual({ samples: 3, malformedLines: 0, ownerScans: 1, processReads: 2 });
  });

  it("looks up only new sockets, and reuses process details of a known (pid, start time)", async () => {
    const sampler = new ProcSocketSampler({ ports: CAPTURED_PORTS, procRoot: tree.root, passwd });
    await sampler.sample();
    await symlink("socket:[17500]", join(tree.root, "7213", "fd", "4"));
    await tree.writeNet(`${CAPTURED_PROC_NET_TCP}${NEW_OUTBOUND(17500)}\n`, CAPTURED_PROC_NET_TCP6);
    const records = await sampler.sample();
    const mailer = CAPTURED_RECORDS.find((r) => r.pid === 7213) as SocketRecord;
    expect(records.find((r) => r.inode === "17500")).toEqual({
      ...mailer,
      proto: "tcp",
      state: "ESTABLISHED",
      direction: "outbound",
      local_address: "127.0.0.1",
      local_port: 49990,
      remote_address: "203.0.113.5",
      remote_port: 38663,
      inode: "17500",
    });
    expect(sampler.stats).toEqual({ samples: 2, malformedLines: 0, ownerScans: 2, processReads: 2 });
  });

  it("searches a new socket among young processes first, and in every process only at the next sample", async () => {
    const proc = (pid: number, fds: Record<number, string>) => ({
      pid,
      fds,
      status: fakeStatus(`p${pid}`, 1, 0),
      stat: fakeStat(pid, `p${pid}`, 1, 5000 + pid),
      comm: `p${pid}\n`,
      cmdline: `p${pid}\0`,
      exe: `/usr/bin/p${pid}`,
      cwd: `/srv/p${pid}`,
    });
    // An old process, listed by the first sample, holding no watched socket.
    await writeFakeProcess(tree.root, proc(100, { 0: "/dev/null" }));
    const sampler = new ProcSocketSampler({ ports: CAPTURED_PORTS, procRoot: tree.root, passwd });
    await sampler.sample();
    // A young process and the old one share a new socket; another new socket is the old process's alone.
    await writeFakeProcess(tree.root, proc(9000, { 3: "socket:[17600]" }));
    await symlink("socket:[17600]", join(tree.root, "100", "fd", "3"));
    await symlink("socket:[17601]", join(tree.root, "100", "fd", "4"));
    await tree.writeNet(`${CAPTURED_PROC_NET_TCP}${NEW_OUTBOUND(17600, "C360")}\n${NEW_OUTBOUND(17601, "C361")}\n`, CAPTURED_PROC_NET_TCP6);
    const second = await sampler.sample();
    expect(second.find((r) => r.inode === "17600")).toMatchObject({ pid: 9000, exe: "/usr/bin/p9000", cwd: "/srv/p9000" });
    expect(second.find((r) => r.inode === "17601")).toMatchObject({ pid: null, exe: null });
    const third = await sampler.sample();
    expect(third.find((r) => r.inode === "17601")).toMatchObject({ pid: 100, exe: "/usr/bin/p100", cwd: "/srv/p100" });
    expect(sampler.stats.ownerScans).toBe(3);
  });

  it("re-reads a process whose pid was reused (different start time)", async () => {
    const sampler = new ProcSocketSampler({ ports: CAPTURED_PORTS, procRoot: tree.root, passwd });
    await sampler.sample();
    await writeFile(join(tree.root, "7213", "stat"), fakeStat(7213, "mailer", 1, 99999));
    await writeFile(join(tree.root, "7213", "status"), fakeStatus("mailer", 1, 0));
    await symlink("socket:[17501]", join(tree.root, "7213", "fd", "5"));
    await tree.writeNet(`${CAPTURED_PROC_NET_TCP}${NEW_OUTBOUND(17501)}\n`, CAPTURED_PROC_NET_TCP6);
    const records = await sampler.sample();
    expect(records.find((r) => r.inode === "17501")).toMatchObject({ pid: 7213, ppid: 1, uid: 0, user: "root" });
    expect(sampler.stats.processReads).toBe(3);
  });

  it("re-attributes a socket whose cached owner closed it, after ownerRecheckMs", async () => {
    const sampler = new ProcSocketSampler({ ports: CAPTURED_PORTS, procRoot: tree.root, passwd, ownerRecheckMs: 0 });
    await sampler.sample();
    // The node process hands its accepted connection to the mailer (fork + exit, or SCM_RIGHTS).
    await unlink(join(tree.root, "7204", "fd", "23"));
    await symlink("socket:[17411]", join(tree.root, "7213", "fd", "7"));
    const records = await sampler.sample();
    const mailer = CAPTURED_RECORDS.find((r) => r.pid === 7213) as SocketRecord;
    const accepted = CAPTURED_RECORDS.find((r) => r.inode === "17411") as SocketRecord;
    expect(records.find((r) => r.inode === "17411")).toEqual({
      ...mailer,
      ...{ proto: accepted.proto, state: accepted.state, direction: accepted.direction },
      ...{ local_address: accepted.local_address, local_port: accepted.local_port },
      ...{ remote_address: accepted.remote_address, remote_port: accepted.remote_port, inode: "17411" },
    });
  });

  it("keeps the socket with the kernel's uid when its process vanished", async () => {
    const sampler = new ProcSocketSampler({ ports: CAPTURED_PORTS, procRoot: tree.root, passwd, ownerRecheckMs: 0 });
    await sampler.sample();
    await rm(join(tree.root, "7213"), { recursive: true });
    const records = await sampler.sample();
    const before = CAPTURED_RECORDS.find((r) => r.inode === "17410") as SocketRecord;
    expect(records.find((r) => r.inode === "17410")).toEqual({
      ...before,
      pid: null,
      ppid: null,
      uid: 65534,
      user: "nobody",
      comm: null,
      argv: [],
      exe: null,
      exe_deleted: false,
      cwd: null,
    });
  });

  it("reports TIME_WAIT without owner or uid, and stops looking for an unfindable owner after ownerLookupAttempts", async () => {
    // A line of no known shape is not read at all; a broken line on a watched port (38663 = 9707) is counted.
    await tree.writeNet(`${CAPTURED_PROC_NET_TCP}${TIME_WAIT}\n${ORPHAN}\nnot a socket line\n  99: 0100007F:9707 broken\n`, CAPTURED_PROC_NET_TCP6);
    const sampler = new ProcSocketSampler({ ports: [38663], procRoot: tree.root, passwd, ownerLookupAttempts: 2 });
    const records = await sampler.sample();
    const ownerless = { pid: null, ppid: null, comm: null, argv: [], exe: null, exe_deleted: false, cwd: null };
    expect(records.slice(0, 1)).toEqual([
      { proto: "tcp", state: "TIME_WAIT", direction: "outbound", local_address: "127.0.0.1", local_port: 50000, remote_address: "127.0.0.1", remote_port: 38663, inode: "0", uid: null, user: null, ...ownerless },
    ]);
    expect(records.find((r) => r.inode === "18000")).toEqual({
      proto: "tcp",
      state: "ESTABLISHED",
      direction: "outbound",
      local_address: "127.0.0.1",
      local_port: 50001,
      remote_address: "127.0.0.1",
      remote_port: 38663,
      inode: "18000",
      uid: 1000,
      user: null,
      ...ownerless,
    });
    await sampler.sample();
    await sampler.sample();
    expect(sampler.stats).toEqual({ samples: 3, malformedLines: 3, ownerScans: 2, processReads: 2 });
  });

  it("shares one sample between concurrent callers", async () => {
    const sampler = new ProcSocketSampler({ ports: CAPTURED_PORTS, procRoot: tree.root, passwd });
    const [a, b] = [sampler.sample(), sampler.sample()];
    expect(a).toBe(b);
    await a;
    expect(sampler.stats.samples).toBe(1);
  });

  it("works without /proc/net/tcp6 (IPv6 disabled)", async () => {
    await tree.writeNet(CAPTURED_PROC_NET_TCP, null);
    const records = await readSocketsFromProc({ ports: CAPTURED_PORTS, procRoot: tree.root });
    expect(records.map((r) => r.inode)).toEqual(["16372", "17410", "17411"]);
  });

  it("rejects when /proc/net/tcp cannot be read, so the caller can fall back to lsof", async () => {
    await rm(join(tree.root, "net"), { recursive: true });
    await expect(readSocketsFromProc({ ports: [25], procRoot: tree.root })).rejects.toThrow(/ENOENT.*net\/tcp/);
  });

  it("ignores a process directory that has no readable details", async () => {
    await writeFakeProcess(tree.root, { pid: 7300, fds: { 3: "socket:[17600]" } });
    await tree.writeNet(`${CAPTURED_PROC_NET_TCP}${NEW_OUTBOUND(17600, "C347")}\n`, CAPTURED_PROC_NET_TCP6);
    const records = await new ProcSocketSampler({ ports: [38663], procRoot: tree.root, passwd }).sample();
    expect(records.find((r) => r.inode === "17600")).toMatchObject({ pid: 7300, ppid: null, uid: null, user: null, comm: null, argv: [], exe: null, cwd: null });
  });
});
