// The probe started exactly as deploy/systemd/spamtrace-probe.service starts it (same user, groups,
// capabilities, no-new-privs, environment; setpriv, since systemd is not PID 1 here), from an install laid
// out as the Ansible role lays it out under a test root. It must see another user's outbound SMTP connection
// with pid, exe and cwd, and read a log readable only by group adm; without CAP_SYS_PTRACE it must not see
// the process, without adm it must not read the log, and it must not be able to read /etc/shadow (the
// reason the unit has no CAP_DAC_READ_SEARCH). With NoNewPrivileges, Postfix's set-gid postqueue only
// answers with the drop-in the Ansible role writes on Postfix hosts (queue-groups.conf). Needs root, as CI has it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./setup/cli-process.js";
import { freePort } from "./setup/free-port.js";
import { ensureProbeBundle } from "./setup/probe-bundle.js";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";
import { node18 } from "./setup/node18.js";
import { swaks } from "./setup/mta/drive-traffic.js";
import { parseUnitFile, readUnitFile, runAsUnit, startAsUnit, type RunAsUnitOptions, type UnitSpec } from "./setup/run-as-unit.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

const run = promisify(execFile);

const UNIT_FILE = join(REPO_ROOT, "deploy/systemd/spamtrace-probe.service");
/** What deploy/ansible/roles/spamtrace_probe writes to spamtrace-probe.service.d/queue-groups.conf on a Postfix host. */
const QUEUE_GROUPS_DROP_IN = "[Service]\nSupplementaryGroups=postdrop\n";
const PROBE_USER = "spamtrace-probe";
/** The "other user": a hosting customer whose script sends mail. */
const WEB_USER = "st-unit-web";
const HOST_IDS = ["unit-full", "unit-no-ptrace", "unit-no-adm", "unit-postdrop"];
const LOG_FIXTURE = join(REPO_ROOT, "test/fixtures/mta-logs/postfix-submission-lab.log");

interface SocketRow {
  remote_port: number;
  pid: number | null;
  uid: number | null;
  user: string | null;
  exe: string | null;
  cwd: string | null;
}

async function userExists(name: string): Promise<boolean> {
  return run("getent", ["passwd", name]).then(
    () => true,
    () => false,
  );
}

async function uidGid(name: string): Promise<{ uid: number; gid: number }> {
  const [, , uid, gid] = (await run("getent", ["passwd", name])).stdout.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

async function groupId(name: string): Promise<number> {
  return Number((await run("getent", ["group", name])).stdout.split(":")[2]);
}

describe.skipIf(process.getuid?.() !== 0 && process.env.CI !== "true")("probe started as its systemd unit", () => {
  let root: string;
  let unit: UnitSpec;
  let lab: Lab;
  let listener: Server;
  let smtpPort: number;
  let client: ChildProcess;
  let clientCwd: string;
  let nodeExe: string;
  let logPath: string;
  let postfix: PostfixLab;
  const createdUsers: string[] = [];

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error("this test needs root (it creates system users and runs setpriv)");
    const bundle = await ensureProbeBundle();
    for (const name of [PROBE_USER, WEB_USER]) {
      if (await userExists(name)) continue;
      await run("useradd", ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name]);
      createdUsers.push(name);
    }
    unit = await readUnitFile(UNIT_FILE);
    const probe = await uidGid(PROBE_USER);
    const web = await uidGid(WEB_USER);
    const adm = await groupId("adm");

    // The install as the Ansible role lays it out (docs/deploy-requirements.md), under a test root.
    root = await mkdtemp(join(tmpdir(), "spamtrace-unit-root-"));
    await chmod(root, 0o755);
    const optDir = join(root, "opt/spamtrace/probe");
    const etcDir = join(root, "etc/spamtrace");
    const certsDir = join(etcDir, "probe-certs");
    const stateDir = join(root, "var/lib/spamtrace-probe");
    const logDir = join(root, "var/log");
    for (const dir of [optDir, etcDir, logDir, join(root, "var/lib")]) await mkdir(dir, { recursive: true, mode: 0o755 });
    await mkdir(certsDir, { mode: 0o750 });
    await chown(certsDir, 0, probe.gid);
    await mkdir(stateDir, { mode: 0o750 });
    await chown(stateDir, probe.uid, probe.gid);
    await copyFile(bundle, join(optDir, "spamtrace-probe.cjs"));
    await chmod(join(optDir, "spamtrace-probe.cjs"), 0o644);

    // Debian's mail.log: root:adm 0640, readable through the unit's SupplementaryGroups=adm only.
    logPath = join(logDir, "mail.log");
    await writeFile(logPath, await readFile(LOG_FIXTURE));
    await chown(logPath, 0, adm);
    await chmod(logPath, 0o640);

    smtpPort = await freePort();
    lab = await makeLab({ store: "embedded", probeHostIds: HOST_IDS, ports: [smtpPort] });
    await copyFile(join(lab.certsDir, "ca.crt"), join(certsDir, "ca.crt"));
    for (const hostId of HOST_IDS) {
      for (const ext of ["crt", "key"]) {
        const target = join(certsDir, `probe-${hostId}.${ext}`);
        await copyFile(join(lab.certsDir, `probe-${hostId}.${ext}`), target);
        await chown(target, 0, probe.gid);
        await chmod(target, 0o640);
      }
    }
    await lab.startCollector();

    // A real Postfix with one deferred message, for queue snapshots (its relayhost is a dead end).
    postfix = await startPostfixLab({ labDir: "/var/lib/spamtrace-test/postfix-lab-units", smtpHost: "127.0.0.46" });
    const sent = await swaks({ host: postfix.smtpHost, port: postfix.smtpPort }, { from: "web@lab.test", to: ["someone@example.com"] });
    if (sent.exitCode !== 0) throw new Error(`could not queue a message: ${sent.lastReply}`);

    // A loopback "MX" on a watched port, and WEB_USER's script holding a connection to it from its web root.
    listener = createServer((socket) => socket.on("error", () => undefined));
    await new Promise<void>((resolve) => listener.listen(smtpPort, "127.0.0.1", resolve));
    clientCwd = join(root, "home", WEB_USER, "public_html");
    await mkdir(clientCwd, { recursive: true, mode: 0o700 });
    await chown(join(root, "home", WEB_USER), web.uid, web.gid);
    await chown(clientCwd, web.uid, web.gid);
    nodeExe = await realpath(process.execPath);
    client = spawn(
      "setpriv",
      [`--reuid=${WEB_USER}`, `--regid=${web.gid}`, "--clear-groups", "--", nodeExe, "-e",
        `require("net").connect(${smtpPort}, "127.0.0.1").on("connect", () => console.log("connected")); setInterval(() => {}, 1e6);`],
      { cwd: clientCwd, stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      client.stdout!.once("data", () => resolve());
      client.once("exit", (code) => reject(new Error(`client exited ${code}`)));
    });
  }, 300_000);

  afterAll(async () => {
    client?.kill("SIGKILL");
    listener?.close();
    await lab?.close();
    await postfix?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
    for (const name of createdUsers) await run("userdel", [name]).catch(() => undefined);
  });

  /** `snapshot --once --json` of the watched port, run as the unit runs the probe. */
  async function snapshotAsUnit(opts: RunAsUnitOptions = {}): Promise<SocketRow | undefined> {
    const result = await runAsUnit(unit, {
      ...opts,
      root,
      // The unit's node flags and bundle, then `snapshot` instead of `run --config ...`.
      args: (unitArgs) => [...unitArgs.slice(0, unitArgs.findIndex((arg) => arg.endsWith(".cjs")) + 1), "snapshot", "--once", "--json", "--ports", String(smtpPort)],
    });
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as SocketRow[];
    return rows.find((row) => row.remote_port === smtpPort);
  }

  /** Writes probe.yaml for one host id, as the role templates it (paths are the installed ones). */
  async function writeProbeConfig(hostId: string): Promise<void> {
    const config = {
      hostId,
      collector: { address: `127.0.0.1:${lab.grpcPort}`, certsDir: join(root, "etc/spamtrace/probe-certs"), serverName: "localhost", reconnectMinMs: 100, reconnectMaxMs: 1000 },
      sockets: { ports: [smtpPort], sampleIntervalMs: 100, snapshotIntervalMs: 500 },
      mta: { kind: "postfix", logPaths: [logPath], logStartAt: "start", windowMs: 1000, queueIntervalMs: 1000, commandEnv: { MAIL_CONFIG: postfix.configDir } },
      spool: { dir: join(root, "var/lib/spamtrace-probe", hostId) },
      metrics: { port: -1 },
    };
    const file = join(root, "etc/spamtrace/probe.yaml");
    await writeFile(file, JSON.stringify(config, null, 2));
    await chown(file, 0, (await uidGid(PROBE_USER)).gid);
    await chmod(file, 0o640);
  }

  /** Runs the unit's own ExecStart (`run --config /etc/spamtrace/probe.yaml`) until its sockets reach ClickHouse. */
  async function runUnitUntilSockets(
    hostId: string,
    opts: RunAsUnitOptions,
    spec: UnitSpec = unit,
  ): Promise<{ sockets: SocketRow[]; logLines: number; queueSnapshots: Array<{ source: string; total: number }>; output: string }> {
    await writeProbeConfig(hostId);
    const probe = await startAsUnit(spec, { ...opts, root });
    try {
      await probe.waitForOutput(/probe started/, 30_000);
      const sockets = await waitFor(
        `socket rows of ${hostId}`,
        async () => {
          const rows = await lab.sql<SocketRow>(
            `SELECT remote_port, pid, uid, user, exe, cwd FROM ${lab.database}.socket_snapshots WHERE host_id = '${hostId}' AND remote_port = ${smtpPort}`,
          );
          return rows.length > 0 ? rows : undefined;
        },
        30_000,
      );
      // A few more batches, so that a log the probe can read has surely been read and sent.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const [stats] = await lab.sql<{ lines: string }>(
        `SELECT sum(lines) AS lines FROM ${lab.database}.log_read_stats WHERE host_id = '${hostId}'`,
      );
      const queueSnapshots = await lab.sql<{ source: string; total: number }>(
        `SELECT source, total FROM ${lab.database}.queue_snapshots WHERE host_id = '${hostId}'`,
      );
      return { sockets, logLines: Number(stats?.lines ?? 0), queueSnapshots, output: probe.output() };
    } finally {
      await probe.kill("SIGTERM");
    }
  }

  it("the unit runs as its own user with CAP_SYS_PTRACE only, NoNewPrivileges and group adm", () => {
    expect(unit).toMatchObject({
      user: PROBE_USER,
      group: PROBE_USER,
      supplementaryGroups: ["adm"],
      ambientCapabilities: ["CAP_SYS_PTRACE"],
      capabilityBoundingSet: ["CAP_SYS_PTRACE"],
      noNewPrivileges: true,
    });
  });

  it("snapshot: sees another user's outbound SMTP connection with pid, exe and cwd", async () => {
    const row = await snapshotAsUnit();
    expect(row).toMatchObject({ pid: client.pid, user: WEB_USER, exe: nodeExe, cwd: clientCwd });
  });

  it("snapshot under Debian 12's Node 18 (the distribution's /usr/bin/node there): the same view", async () => {
    const { node, env } = node18();
    const row = await snapshotAsUnit({ executable: node, env: { LD_LIBRARY_PATH: env.LD_LIBRARY_PATH as string } });
    expect(row).toMatchObject({ pid: client.pid, user: WEB_USER, exe: nodeExe, cwd: clientCwd });
  });

  it("snapshot without CAP_SYS_PTRACE: the socket and its uid, but no process", async () => {
    const row = await snapshotAsUnit({ dropCapabilities: ["CAP_SYS_PTRACE"] });
    expect(row).toMatchObject({ pid: null, exe: null, cwd: null, user: WEB_USER });
  });

  it("snapshot with CAP_DAC_READ_SEARCH instead of CAP_SYS_PTRACE: still no process (that capability is not what the probe needs)", async () => {
    const row = await snapshotAsUnit({ dropCapabilities: ["CAP_SYS_PTRACE"], addCapabilities: ["CAP_DAC_READ_SEARCH"] });
    expect(row).toMatchObject({ pid: null, exe: null, cwd: null });
  });

  it("cannot read /etc/shadow as the unit; CAP_DAC_READ_SEARCH would let it (why the unit does not have it)", async () => {
    const readShadow = (opts: RunAsUnitOptions): ReturnType<typeof runAsUnit> =>
      runAsUnit(unit, { ...opts, root, args: () => ["-e", 'require("fs").readFileSync("/etc/shadow"); console.log("read")'] });
    const asUnit = await readShadow({});
    expect(asUnit.code).not.toBe(0);
    expect(asUnit.stderr).toMatch(/EACCES/);
    const withDac = await readShadow({ addCapabilities: ["CAP_DAC_READ_SEARCH"] });
    expect(withDac).toMatchObject({ code: 0, stdout: "read\n" });
  });

  it("run: the process (pid, exe, cwd) and the adm-only log reach the collector's ClickHouse; no queue without postdrop", async () => {
    // As shipped, on a host where the user is not (yet) in postdrop: a leftover install may have added it in /etc/group.
    const { sockets, logLines, queueSnapshots, output } = await runUnitUntilSockets("unit-full", { dropGroups: ["postdrop"] });
    expect(sockets.some((row) => Number(row.pid) === client.pid && row.exe === nodeExe && row.cwd === clientCwd && row.user === WEB_USER)).toBe(true);
    const logLineCount = (await readFile(LOG_FIXTURE, "utf8")).split("\n").filter(Boolean).length;
    expect(logLines).toBe(logLineCount);
    // NoNewPrivileges: postqueue's set-gid postdrop is ignored, so showq refuses it (and the queue folders are Postfix's own).
    expect(queueSnapshots).toEqual([]);
    expect(output).toMatch(/showq service: Permission denied/);
  });

  it("run with the postdrop drop-in: postqueue -j answers, queue snapshots reach ClickHouse", async () => {
    const spec = parseUnitFile(await readFile(UNIT_FILE, "utf8"), QUEUE_GROUPS_DROP_IN);
    expect(spec.supplementaryGroups).toEqual(["adm", "postdrop"]);
    const { queueSnapshots } = await runUnitUntilSockets("unit-postdrop", {}, spec);
    expect(queueSnapshots.length).toBeGreaterThan(0);
    expect(queueSnapshots[0]).toMatchObject({ source: "postqueue -j" });
    expect(queueSnapshots.every((q) => Number(q.total) >= 1)).toBe(true);
  });

  it("run without CAP_SYS_PTRACE: socket rows without a process", async () => {
    const { sockets } = await runUnitUntilSockets("unit-no-ptrace", { dropCapabilities: ["CAP_SYS_PTRACE"] });
    expect(sockets.every((row) => Number(row.pid) === 0 && row.exe === "" && row.cwd === "")).toBe(true);
  });

  it("run without group adm: the log cannot be read (EACCES), sockets still flow", async () => {
    const { sockets, logLines, output } = await runUnitUntilSockets("unit-no-adm", { dropGroups: ["adm"] });
    expect(sockets.some((row) => Number(row.pid) === client.pid)).toBe(true);
    expect(logLines).toBe(0);
    expect(output).toMatch(/EACCES/);
  });
});
