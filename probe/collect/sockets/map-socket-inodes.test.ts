import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeProcTree, fakeFdinfo, fakeStatus, type FakeProcTree } from "./fake-proc-tree.test-support.js";
import { isSocketOwner, mapSocketInodes, sockfsMountId } from "./map-socket-inodes.js";

describe("mapSocketInodes", () => {
  let tree: FakeProcTree;
  beforeAll(async () => {
    tree = await createFakeProcTree([
      { pid: 1, fds: { 0: "/dev/null", 3: "socket:[100]", 4: "pipe:[555]" } },
      // A forked child sharing the parent's listener, plus its own connection.
      { pid: 20, fds: { 3: "socket:[100]", 5: "socket:[200]", 6: "socket:[200]" } },
      { pid: 300, fds: { 9: "anon_inode:[eventpoll]", 12: "socket:[300]" } },
    ]);
    // A process that exited between readdir(/proc) and readdir(fd): no fd directory.
    await mkdir(join(tree.root, "7"));
    // Not a directory at all, and non-pid entries, must be ignored.
    await writeFile(join(tree.root, "8"), "");
    await mkdir(join(tree.root, "self", "fd"), { recursive: true });
    await mkdir(join(tree.root, "net"));
  });
  afterAll(() => tree.remove());

  it.each([
    {
      name: "lowest pid wins for a shared socket, lowest fd within a process",
      wanted: ["100", "200", "300"],
      order: undefined,
      output: [["100", { pid: 1, fd: 3 }], ["200", { pid: 20, fd: 5 }], ["300", { pid: 300, fd: 12 }]],
    },
    {
      name: "an order (likely owners first) decides who wins a shared socket",
      wanted: ["300", "200", "100"],
      order: (pids: number[]) => [...pids].reverse(),
      output: [["100", { pid: 20, fd: 3 }], ["200", { pid: 20, fd: 5 }], ["300", { pid: 300, fd: 12 }]],
    },
    {
      name: "an order may leave processes out: only those are searched",
      wanted: ["100", "200", "300"],
      order: (pids: number[]) => pids.filter((pid) => pid === 300),
      output: [["300", { pid: 300, fd: 12 }]],
    },
    { name: "unknown inodes are simply absent", wanted: ["999", "200"], order: undefined, output: [["200", { pid: 20, fd: 5 }]] },
    { name: "inode 0 is never looked up", wanted: ["0"], order: undefined, output: [] },
    { name: "nothing wanted", wanted: [], order: undefined, output: [] },
  ])("$name", async ({ wanted, order, output }) => {
    const found = await mapSocketInodes(wanted, { procRoot: tree.root, order });
    expect([...found].sort(([a], [b]) => Number(a) - Number(b))).toEqual(output);
  });

  it("returns an empty map when the proc root does not exist", async () => {
    expect(await mapSocketInodes(["100"], { procRoot: join(tree.root, "missing") })).toEqual(new Map());
  });

  it.each([
    { name: "still open", owner: { pid: 20, fd: 5 }, inode: "200", output: true },
    { name: "fd now refers to another socket", owner: { pid: 20, fd: 3 }, inode: "200", output: false },
    { name: "fd closed", owner: { pid: 20, fd: 99 }, inode: "200", output: false },
    { name: "process gone", owner: { pid: 4242, fd: 5 }, inode: "200", output: false },
  ])("isSocketOwner: $name", async ({ owner, inode, output }) => {
    expect(await isSocketOwner(owner, inode, tree.root)).toBe(output);
  });
});

describe("mapSocketInodes names the process that opened a socket its children inherited", () => {
  let tree: FakeProcTree;
  beforeAll(async () => {
    tree = await createFakeProcTree([
      // bash opened fd 3 to an MX (exec 3<>/dev/tcp/...), then ran sleep, which inherited it; bash's parent (a cron) does not hold it.
      { pid: 900, fds: { 0: "/dev/null" }, status: fakeStatus("cron", 1, 0) },
      { pid: 901, fds: { 3: "socket:[700]" }, status: fakeStatus("sendmail", 900, 0) },
      { pid: 905, fds: { 3: "socket:[700]" }, status: fakeStatus("sleep", 901, 0) },
    ]);
  });
  afterAll(() => tree.remove());

  it("the newest-first order finds the child; the owner is still the parent that opened it", async () => {
    const found = await mapSocketInodes(["700"], { procRoot: tree.root, order: (pids) => [...pids].reverse() });
    expect([...found]).toEqual([["700", { pid: 901, fd: 3 }]]);
  });
});

// What a probe with CAP_SYS_PTRACE but not CAP_DAC_READ_SEARCH sees of another user's process:
// /proc/PID/fd cannot be listed, /proc/PID/fdinfo can (measured: docs/deploy-requirements.md).
describe("mapSocketInodes through fdinfo", () => {
  const SOCKFS = 9;
  let tree: FakeProcTree;
  beforeAll(async () => {
    tree = await createFakeProcTree([
      // Our own process: one socket, which tells the sockfs mount id.
      { pid: 5, fds: { 4: "socket:[1]" }, fdinfo: { 4: fakeFdinfo(SOCKFS, 1) } },
      // Another user's process: fd 3 is a file on disk (mount 27) whose inode number equals a socket's.
      {
        pid: 40,
        fdDir: false,
        fdinfo: { 3: fakeFdinfo(27, 500), 6: fakeFdinfo(SOCKFS, 500), 7: fakeFdinfo(SOCKFS, 600), 8: "pos:\t0\n" },
      },
      // A process we may not look at at all (neither folder readable) owns nothing we can prove.
      { pid: 41, fdDir: false },
    ]);
    await symlinkSelf(tree.root, 5);
  });
  afterAll(() => tree.remove());

  it("reads the sockfs mount id from one of our own sockets", async () => {
    expect(await sockfsMountId(tree.root)).toBe(String(SOCKFS));
  });

  it("finds sockets by fdinfo ino on sockfs, never a same-numbered file on disk", async () => {
    const found = await mapSocketInodes(["500", "600", "700"], { procRoot: tree.root });
    expect([...found].sort(([a], [b]) => Number(a) - Number(b))).toEqual([
      ["500", { pid: 40, fd: 6 }],
      ["600", { pid: 40, fd: 7 }],
    ]);
  });

  it.each([
    { name: "still open", owner: { pid: 40, fd: 6 }, inode: "500", output: true },
    { name: "same inode number on disk is not a socket", owner: { pid: 40, fd: 3 }, inode: "500", output: false },
    { name: "fdinfo without ino (older kernel)", owner: { pid: 40, fd: 8 }, inode: "500", output: false },
    { name: "process we may not look at", owner: { pid: 41, fd: 6 }, inode: "500", output: false },
  ])("isSocketOwner through fdinfo: $name", async ({ owner, inode, output }) => {
    expect(await isSocketOwner(owner, inode, tree.root)).toBe(output);
  });

  it("the real /proc: sockfs mount id found from a socket this process opens for the purpose", async () => {
    expect(await sockfsMountId("/proc")).toMatch(/^\d+$/);
  });
});

/** Makes ROOT/self point at the fake process PID, as /proc/self does. */
async function symlinkSelf(root: string, pid: number): Promise<void> {
  await symlink(String(pid), join(root, "self"));
}
