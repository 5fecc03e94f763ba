import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CAPTURED_LSOF_PATHS,
  CAPTURED_LSOF_SOCKETS,
  CAPTURED_PORTS,
  CAPTURED_PS,
  CAPTURED_RECORDS,
} from "./captured-sockets.test-support.js";
import {
  buildLsofSocketRecords,
  lsofPathArgs,
  lsofSocketArgs,
  parseLsofProcessPaths,
  parseLsofSockets,
  readSocketsFromLsof,
  type LsofProcessPaths,
  type LsofSocket,
} from "./lsof-socket-source.js";
import { parsePsArgs } from "./parse-ps-args.js";

const SMTP = new Set([25, 465, 587]);

function withoutProcessPaths({ argv: _argv, exe: _exe, exe_deleted: _deleted, cwd: _cwd, ...socket }: (typeof CAPTURED_RECORDS)[number]): LsofSocket {
  return { ...socket, pid: socket.pid as number };
}

describe("lsof command lines", () => {
  it("asks for full command names and the socket fields, then cwd/txt of the pids", () => {
    expect(lsofSocketArgs([25, 465, 587])).toEqual(["-n", "-P", "-w", "+c", "0", "-F", "pcRuLftdinTP", "-i", "tcp:25,465,587"]);
    expect(lsofPathArgs([812, 9001])).toEqual(["-n", "-P", "-w", "-F", "pfn", "-a", "-p", "812,9001", "-d", "cwd,txt"]);
  });
});

describe("parseLsofSockets", () => {
  it.each<{ name: string; input: string; ports: ReadonlySet<number>; output: LsofSocket[] }>([
    {
      name: "captured: one socket per inode, duplicate fds of one process merged",
      input: CAPTURED_LSOF_SOCKETS,
      ports: new Set(CAPTURED_PORTS),
      output: [16372, 16373, 16374, 16375, 17411, 17410].map((inode) =>
        withoutProcessPaths(CAPTURED_RECORDS.find((r) => r.inode === String(inode)) as (typeof CAPTURED_RECORDS)[number]),
      ),
    },
    {
      name: "socket shared by parent and child is attributed to the lowest pid; unknown login is null",
      input: [
        "p1469", "R1", "cmaster", "u0", "Lroot", "f13", "tIPv4", "d22317", "PTCP", "n127.0.0.1:25", "TST=LISTEN",
        "p1200", "R1469", "csmtpd", "u89", "f6", "tIPv4", "d22317", "PTCP", "n127.0.0.1:25", "TST=LISTEN",
        "f7", "tIPv6", "d22400", "PTCP", "n[2001:db8::25]:25->[2001:db8::99]:40000", "TST=SYN_RCVD",
        "f8", "tIPv4", "d22401", "PTCP", "n10.1.2.3:40000->203.0.113.5:443", "TST=ESTABLISHED",
        "f9", "tIPv4", "d22402", "PUDP", "n10.1.2.3:25",
        "f10", "tIPv4", "d22403", "PTCP", "nlocalhost:smtp",
        "",
      ].join("\n"),
      ports: SMTP,
      output: [
        { proto: "tcp", state: "LISTEN", direction: "listen", local_address: "127.0.0.1", local_port: 25, remote_address: "0.0.0.0", remote_port: 0, inode: "22317", pid: 1200, ppid: 1469, uid: 89, user: null, comm: "smtpd" },
        { proto: "tcp6", state: "SYN_RECV", direction: "inbound", local_address: "2001:db8::25", local_port: 25, remote_address: "2001:db8::99", remote_port: 40000, inode: "22400", pid: 1200, ppid: 1469, uid: 89, user: null, comm: "smtpd" },
      ],
    },
    {
      name: "BSD-style output: kernel address in DEVICE, no state, numeric login",
      input: ["p77", "cperl", "u1001", "L1001", "f5", "tIPv4", "d0xfffff80012345678", "PTCP", "n192.0.2.7:50000->198.51.100.1:587", ""].join("\n"),
      ports: SMTP,
      output: [
        { proto: "tcp", state: "UNKNOWN", direction: "outbound", local_address: "192.0.2.7", local_port: 50000, remote_address: "198.51.100.1", remote_port: 587, inode: "0xfffff80012345678", pid: 77, ppid: null, uid: 1001, user: null, comm: "perl" },
      ],
    },
    { name: "no output", input: "", ports: SMTP, output: [] },
  ])("$name", ({ input, ports, output }) => {
    expect(parseLsofSockets(input, ports)).toEqual(output);
  });
});

describe("parseLsofProcessPaths", () => {
  it.each<{ name: string; input: string; output: Array<[number, LsofProcessPaths]> }>([
    {
      name: "captured, with a deleted executable",
      input: CAPTURED_LSOF_PATHS,
      output: [
        [7204, { exe: "/usr/bin/node", exe_deleted: false, cwd: "/tmp/cap" }],
        [7213, { exe: "/tmp/cap/mailer", exe_deleted: true, cwd: "/tmp" }],
      ],
    },
    {
      name: "paths lsof could not resolve are null",
      input: "p2\nfcwd\nn/proc/2/cwd (readlink: Permission denied)\nftxt\nn/proc/2/exe (readlink: Permission denied)\np9\nfcwd\nn/var/www/a b\\\\c\n",
      output: [
        [2, { exe: null, exe_deleted: false, cwd: null }],
        [9, { exe: null, exe_deleted: false, cwd: "/var/www/a b\\c" }],
      ],
    },
  ])("$name", ({ input, output }) => {
    expect([...parseLsofProcessPaths(input)]).toEqual(output);
  });
});

describe("buildLsofSocketRecords", () => {
  it("joins the captured outputs into the same records as the /proc source", () => {
    const sockets = parseLsofSockets(CAPTURED_LSOF_SOCKETS, new Set(CAPTURED_PORTS));
    expect(buildLsofSocketRecords(sockets, parseLsofProcessPaths(CAPTURED_LSOF_PATHS), parsePsArgs(CAPTURED_PS))).toEqual(CAPTURED_RECORDS);
  });

  it("leaves argv empty and paths null for a process that exited before the second run", () => {
    const [socket] = parseLsofSockets(CAPTURED_LSOF_SOCKETS, new Set([38663]));
    expect(buildLsofSocketRecords([socket as LsofSocket], new Map(), new Map())).toEqual([
      { ...CAPTURED_RECORDS[0], argv: [], exe: null, exe_deleted: false, cwd: null },
    ]);
  });
});

describe("readSocketsFromLsof with stand-in programs", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-fake-lsof-"));
    await writeFile(join(dir, "sockets.txt"), CAPTURED_LSOF_SOCKETS);
    await writeFile(join(dir, "paths.txt"), CAPTURED_LSOF_PATHS);
    await writeFile(join(dir, "ps.txt"), CAPTURED_PS);
    const program = (body: string) => `#!/bin/sh\nDIR='${dir}'\nprintf '%s\\n' "$*" >> "$DIR/calls"\n${body}\n`;
    const scripts: Record<string, string> = {
      // Exit status 1 on the second run, as when one of the listed pids has exited meanwhile.
      lsof: program('case " $* " in\n  *" -i "*) cat "$DIR/sockets.txt";;\n  *" -d "*) cat "$DIR/paths.txt"; exit 1;;\n  *) echo "unexpected" >&2; exit 2;;\nesac'),
      "lsof-none": program("exit 1"),
      "lsof-usage": program('echo "lsof: unsupported option: -F" >&2; echo " usage: [-?abhKlnNoOPRtUvVX]" >&2; exit 1'),
      "lsof-crash": program("cat \"$DIR/sockets.txt\"; echo boom >&2; exit 3"),
      ps: program('cat "$DIR/ps.txt"'),
      "ps-broken": program("echo 'ps: bad option' >&2; exit 1"),
    };
    for (const [name, body] of Object.entries(scripts)) {
      await writeFile(join(dir, name), body);
      await chmod(join(dir, name), 0o755);
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("runs lsof, lsof -d cwd,txt and ps for the found pids only, and treats exit status 1 as success", async () => {
    await rm(join(dir, "calls"), { force: true });
    const records = await readSocketsFromLsof({ ports: CAPTURED_PORTS, lsofPath: join(dir, "lsof"), psPath: join(dir, "ps") });
    expect(records).toEqual(CAPTURED_RECORDS);
    expect((await readFile(join(dir, "calls"), "utf8")).split("\n").sort()).toEqual([
      "",
      "-n -P -w +c 0 -F pcRuLftdinTP -i tcp:38663,44905",
      "-n -P -w -F pfn -a -p 7204,7213 -d cwd,txt",
      "-ww -o pid=,args= -p 7204,7213",
    ]);
  });

  it("returns no records when lsof matched nothing", async () => {
    expect(await readSocketsFromLsof({ ports: [25], lsofPath: join(dir, "lsof-none") })).toEqual([]);
  });

  it("keeps going with empty argv when ps fails or is missing", async () => {
    for (const psPath of [join(dir, "ps-broken"), join(dir, "no-such-ps")]) {
      const records = await readSocketsFromLsof({ ports: CAPTURED_PORTS, lsofPath: join(dir, "lsof"), psPath });
      expect(records).toEqual(CAPTURED_RECORDS.map((r) => ({ ...r, argv: [] })));
    }
  });

  it.each([
    {
      name: "usage error (exit 1, nothing on stdout, message on stderr)",
      program: "lsof-usage",
      error: "failed with exit status 1: lsof: unsupported option: -F",
    },
    { name: "other exit status", program: "lsof-crash", error: "failed with exit status 3: boom" },
  ])("rejects on $name", async ({ program, error }) => {
    const lsofPath = join(dir, program);
    await expect(readSocketsFromLsof({ ports: [25, 587], lsofPath })).rejects.toThrow(
      `${lsofPath} -n -P -w +c 0 -F pcRuLftdinTP -i tcp:25,587 ${error}`,
    );
  });

  it("rejects when lsof is not installed", async () => {
    const lsofPath = join(dir, "no-such-lsof");
    await expect(readSocketsFromLsof({ ports: [25], lsofPath })).rejects.toThrow(`cannot run ${lsofPath}: spawn ${lsofPath} ENOENT`);
  });
});

describe("readSocketsFromLsof with no ports", () => {
  it("returns nothing without running lsof", async () => {
    expect(await readSocketsFromLsof({ ports: [], lsofPath: "/nonexistent/lsof" })).toEqual([]);
  });
});
