// Both probe socket sources against real sockets: a listener in this process,
// a node child and a deleted copy of bash connected to it. No mocks, no
// services, no globalSetup: everything is started here on loopback.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { chmod, copyFile, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { basename, delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSocketsFromLsof } from "../probe/collect/sockets/lsof-socket-source.js";
import { readSocketsFromProc } from "../probe/collect/sockets/proc-socket-source.js";
import type { SocketRecord } from "../shared/types/socket-record.js";

const WAIT_MS = 10_000;
const NOBODY_UID = 65534;
const NOBODY_GID = 65534;

const CLIENT_SCRIPT = `const socket = require("node:net").connect(Number(process.argv[2]), "127.0.0.1", () => {
  process.stdout.write("connected " + socket.localPort + "\\n");
});
socket.on("error", () => process.exit(2));
socket.on("close", () => process.exit(0));
process.stdin.on("end", () => process.exit(0)).resume();
`;

function onPath(program: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, program)));
}

/** User name for uid as the system resolves it, independently of the probe's /etc/passwd reader. */
function systemUserName(uid: number): string | null {
  try {
    return execFileSync("getent", ["passwd", String(uid)], { encoding: "utf8" }).split(":")[0] ?? null;
  } catch {
    return null;
  }
}

function waitForLine(child: ChildProcess, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`child ${child.pid} did not print "${prefix}" within ${WAIT_MS} ms`)), WAIT_MS);
    child.once("exit", (code) => reject(new Error(`child ${child.pid} exited with ${code} before printing "${prefix}"`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const line = buffered.split("\n").find((l) => l.startsWith(prefix));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}

async function waitUntil(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

describe("probe socket sources on real sockets", () => {
  const accepted: Socket[] = [];
  let server: Server;
  let port: number;
  let workDir: string;
  let nodeChild: ChildProcess;
  let nodeChildPort: number;
  let bashChild: ChildProcess | undefined;
  let bashPath: string;
  let bashScript: string;
  let bashUid: number;
  const ownUid = process.getuid?.() ?? -1;
  const ownUser = userInfo().username;
  const nodeExe = realpathSync(process.execPath);
  const clientScript = () => join(workDir, "client.cjs");

  beforeAll(async () => {
    server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    workDir = realpathSync(await mkdtemp(join(tmpdir(), "spamtrace-probe-sockets-")));
    await chmod(workDir, 0o755);
    await writeFile(clientScript(), CLIENT_SCRIPT, { mode: 0o644 });

    nodeChild = spawn(process.execPath, [clientScript(), String(port)], { cwd: workDir, stdio: ["pipe", "pipe", "inherit"] });
    nodeChildPort = Number((await waitForLine(nodeChild, "connected ")).split(" ")[1]);
    await waitUntil("the node child's connection to be accepted", () => accepted.length >= 1);

    // A copy of bash that connects with its /dev/tcp redirection and is deleted
    // while running: the shape of a dropped spam binary. As root it runs as
    // nobody so uid and user must come from the child, not from this process.
    if (existsSync("/bin/bash")) {
      bashPath = join(workDir, "mailer");
      bashScript = join(workDir, "run.sh");
      await copyFile("/bin/bash", bashPath);
      await chmod(bashPath, 0o755);
      await writeFile(bashScript, `exec 3<>/dev/tcp/127.0.0.1/${port}\necho connected\nread -r line <&3\n`, { mode: 0o644 });
      const asNobody = ownUid === 0 ? { uid: NOBODY_UID, gid: NOBODY_GID } : {};
      bashUid = ownUid === 0 ? NOBODY_UID : ownUid;
      bashChild = spawn(bashPath, [bashScript], { cwd: workDir, stdio: ["ignore", "pipe", "inherit"], ...asNobody });
      await waitForLine(bashChild, "connected");
      await waitUntil("the bash child's connection to be accepted", () => accepted.length >= 2);
      await unlink(bashPath);
    }
  });

  afterAll(async () => {
    for (const socket of accepted) socket.destroy();
    await Promise.all([stop(nodeChild), stop(bashChild)]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  function expectedRecords(): { listen: object; nodeOutbound: SocketRecord; nodeInbound: object; bashOutbound?: SocketRecord; bashInbound?: object } {
    const self = { pid: process.pid, ppid: process.ppid, uid: ownUid, user: ownUser, exe: nodeExe, exe_deleted: false, cwd: realpathSync(process.cwd()) };
    const inode = expect.stringMatching(/^[1-9]\d*$/) as unknown as string;
    const loopback = { proto: "tcp" as const, state: "ESTABLISHED", local_address: "127.0.0.1", remote_address: "127.0.0.1" };
    const records: ReturnType<typeof expectedRecords> = {
      listen: { proto: "tcp", state: "LISTEN", direction: "listen", local_address: "127.0.0.1", local_port: port, remote_address: "0.0.0.0", remote_port: 0, ...self },
      nodeOutbound: {
        ...loopback,
        direction: "outbound",
        local_port: nodeChildPort,
        remote_port: port,
        inode,
        pid: nodeChild.pid as number,
        ppid: process.pid,
        uid: ownUid,
        user: ownUser,
        comm: basename(process.execPath).slice(0, 15),
        argv: [process.execPath, clientScript(), String(port)],
        exe: nodeExe,
        exe_deleted: false,
        cwd: workDir,
      },
      nodeInbound: { ...loopback, direction: "inbound", local_port: port, remote_port: nodeChildPort, ...self },
    };
    if (bashChild !== undefined) {
      const bashPort = accepted[1]?.remotePort as number;
      records.bashOutbound = {
        ...loopback,
        direction: "outbound",
        local_port: bashPort,
        remote_port: port,
        inode,
        pid: bashChild.pid as number,
        ppid: process.pid,
        uid: bashUid,
        user: systemUserName(bashUid),
        comm: "mailer",
        argv: [bashPath, bashScript],
        exe: bashPath,
        exe_deleted: true,
        cwd: workDir,
      };
      records.bashInbound = { ...loopback, direction: "inbound", local_port: port, remote_port: bashPort, ...self };
    }
    return records;
  }

  it("readSocketsFromProc finds the listener, both ends of each connection and their processes", async () => {
    const records = await readSocketsFromProc({ ports: [port] });
    const expected = expectedRecords();
    const find = (direction: string, localPort: number, remotePort: number) =>
      records.find((r) => r.direction === direction && r.local_port === localPort && r.remote_port === remotePort);
    expect(find("listen", port, 0)).toMatchObject(expected.listen);
    expect(find("outbound", nodeChildPort, port)).toEqual(expected.nodeOutbound);
    expect(find("inbound", port, nodeChildPort)).toMatchObject(expected.nodeInbound);
    if (bashChild !== undefined) {
      const bashPort = expected.bashOutbound?.local_port as number;
      expect(find("outbound", bashPort, port)).toEqual(expected.bashOutbound);
      expect(find("inbound", port, bashPort)).toMatchObject(expected.bashInbound ?? {});
    }
    expect(records).toHaveLength(bashChild === undefined ? 3 : 5);
    expect(new Set(records.map((r) => r.inode)).size).toBe(records.length);
  });

  it("readSocketsFromLsof returns the same records as readSocketsFromProc", async (ctx) => {
    if (!onPath("lsof")) {
      if (process.env.CI === "true") throw new Error("lsof is not on PATH; CI must install it (apt-get install -y lsof)");
      ctx.skip("lsof is not on PATH: install it (apt-get install -y lsof) to compare the lsof source with /proc");
    }
    const [fromProc, fromLsof] = await Promise.all([readSocketsFromProc({ ports: [port] }), readSocketsFromLsof({ ports: [port] })]);
    // The lsof source gets argv from ps, which joins arguments with spaces
    // (see parsePsArgs): an argv with an empty argument or one containing a
    // space cannot be split back, so only such an argv is compared as text.
    const lossy = new Set(fromProc.filter((r) => r.argv.some((arg) => arg === "" || /\s/.test(arg))).map((r) => r.inode));
    const comparable = (r: SocketRecord) => (lossy.has(r.inode) ? { ...r, argv: r.argv.join(" ") } : r);
    expect(fromLsof.map(comparable)).toEqual(fromProc.map(comparable));
    expect(fromLsof).toHaveLength(bashChild === undefined ? 3 : 5);
  });
});
