// The probe bundle as fleet hosts get it: ONE file copied alone into an empty
// folder, run with plain `node` — this machine's Node 20 and Debian 12's Node
// 18 (unpacked by the global setup) — against real sockets opened here and a
// real collector (mTLS, embedded ClickHouse) started through the lab.
import { spawn } from "node:child_process";
import { copyFile, mkdtemp, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkProbeBundle, PROBE_FORBIDDEN } from "../scripts/build-bundles.js";
import type { SocketRecord } from "../shared/types/socket-record.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { node18, NODE18_VERSION } from "./setup/node18.js";
import { buildProbeBundle } from "./setup/probe-bundle.js";
import { run, type RunResult } from "./setup/mta/lab-common.js";
import { waitFor } from "./setup/wait-for.js";

const VERSION = "0.0.0-bundle-test";
/**
 * Connections opened to the listener: enough that /proc/net/tcp spans several
 * pages. Node 18's fs.promises.readFile returned only the first page of a
 * /proc file, and the probe lost every socket beyond it.
 */
const CONNECTIONS = 60;

interface Runtime {
  label: string;
  node: string;
  env: NodeJS.ProcessEnv;
  version: string;
}

/** Runs `node spamtrace-probe.cjs args...` in `cwd` to its end (a non-zero exit is returned, not thrown). */
function runBundle(runtime: Runtime, cwd: string, args: readonly string[]): Promise<RunResult> {
  return run(runtime.node, ["spamtrace-probe.cjs", ...args], { cwd, env: runtime.env, allowFailure: true });
}

describe("the probe bundle runs alone on Node 18 and Node 20", () => {
  const runtimes: Runtime[] = [];
  let buildDir: string;
  let bundle: string;
  let probeKiB: number;
  let server: Server;
  let port: number;
  const accepted: Socket[] = [];
  let client: Socket;
  const others: Socket[] = [];

  beforeAll(async () => {
    buildDir = await mkdtemp(join(tmpdir(), "spamtrace-bundle-build-"));
    const built = await buildProbeBundle(buildDir, VERSION);
    bundle = built.bundle;
    probeKiB = built.result.probeBytes / 1024;
    const n18 = node18();
    runtimes.push({ label: "node 20", node: process.execPath, env: { ...process.env }, version: process.version });
    runtimes.push({ label: "node 18", node: n18.node, env: n18.env, version: `v${NODE18_VERSION}` });
    // An SMTP-like listener and a connection to it: the snapshot must show both ends.
    server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    client = connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => client.once("connect", resolve).once("error", reject));
    for (let i = 1; i < CONNECTIONS; i++) others.push(connect(port, "127.0.0.1"));
    await Promise.all(others.map((s) => new Promise<void>((resolve, reject) => s.once("connect", resolve).once("error", reject))));
    await waitFor("the connections to be accepted", async () => (accepted.length === CONNECTIONS ? true : undefined), 5_000, 20);
  });

  afterAll(async () => {
    client?.destroy();
    for (const socket of others) socket.destroy();
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server?.close(resolve));
    await rm(buildDir, { recursive: true, force: true });
  });

  it("carries no collector-only or Node >= 20 package and stays one file", async () => {
    const meta = JSON.parse(await readFile(join(buildDir, "spamtrace-probe.meta.json"), "utf8")) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs);
    expect(inputs.some((i) => i.startsWith("probe/"))).toBe(true);
    expect(inputs.filter((i) => PROBE_FORBIDDEN.some((f) => i.startsWith(f) || i.includes(`node_modules/${f}`)))).toEqual([]);
    // Issue 13's bound (1 MB): it also catches a collector dependency slipping in (chdb's JS, the ClickHouse client...).
    expect(probeKiB).toBeLessThanOrEqual(1024);
    // scripts/probe-build-plugins.ts: grpc-js's proto-loader (protobufjs) stays out; the config is checked with valibot, not zod.
    expect(inputs.filter((i) => /node_modules\/(zod\/|@grpc\/proto-loader\/|protobufjs\/)/.test(i))).toEqual([]);
    expect(inputs.some((i) => i.includes("node_modules/valibot/"))).toBe(true);
  });

  it("the build check refuses a collector-only package, package.json or a Node >= 20 call", () => {
    const metafile = (input: string) => ({ inputs: { [input]: { bytes: 1, imports: [] } }, outputs: {} });
    expect(() => checkProbeBundle(metafile("node_modules/chdb/lib/index.js"), "")).toThrow(/collector-only or Node >= 20 code: node_modules\/chdb/);
    expect(() => checkProbeBundle(metafile("node_modules/zod/v4/classic/schemas.js"), "")).toThrow(/node_modules\/zod/);
    expect(() => checkProbeBundle(metafile("collector/serve.ts"), "")).toThrow(/collector\/serve.ts/);
    expect(() => checkProbeBundle(metafile("probe/cli.ts"), 'require("../package.json")')).toThrow(/package.json/);
    expect(() => checkProbeBundle(metafile("probe/cli.ts"), "rows.toSorted(byPort)")).toThrow(/Node 18 lacks: .toSorted\(/);
    expect(() => checkProbeBundle(metafile("probe/cli.ts"), "rows.sort(byPort)")).not.toThrow();
  });

  describe.each(["node 20", "node 18"])("%s", (label) => {
    let dir: string;
    let runtime: Runtime;

    beforeAll(async () => {
      runtime = runtimes.find((r) => r.label === label)!;
      dir = await realpath(await mkdtemp(join(tmpdir(), "spamtrace-bundle-run-")));
      await copyFile(bundle, join(dir, "spamtrace-probe.cjs"));
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));

    it("runs on the intended Node and prints the version compiled in (no package.json anywhere)", async () => {
      const which = await new Promise<string>((resolve) => {
        const child = spawn(runtime.node, ["-p", "process.version"], { env: runtime.env });
        let out = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString()));
        child.once("exit", () => resolve(out.trim()));
      });
      expect(which).toBe(runtime.version);
      const result = await runBundle(runtime, dir, ["--version"]);
      expect(result).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
      expect(await readdir(dir)).toEqual(["spamtrace-probe.cjs"]);
    });

    it("snapshot --once --json lists the listener and both ends of the connection, with pid, exe and cwd", async () => {
      const result = await runBundle(runtime, dir, ["snapshot", "--once", "--json", "--ports", String(port)]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const rows = JSON.parse(result.stdout) as SocketRecord[];
      const mine = { pid: process.pid, uid: process.getuid!(), comm: "node", exe: await realpath(process.execPath), cwd: process.cwd(), exe_deleted: false };
      expect(rows).toContainEqual(expect.objectContaining({ ...mine, state: "LISTEN", direction: "listen", local_address: "127.0.0.1", local_port: port }));
      expect(rows).toContainEqual(expect.objectContaining({ ...mine, state: "ESTABLISHED", direction: "outbound", remote_port: port, local_port: client.localPort }));
      expect(rows).toContainEqual(expect.objectContaining({ ...mine, state: "ESTABLISHED", direction: "inbound", local_port: port, remote_port: client.localPort }));
      for (const row of rows) expect(Object.keys(row).sort()).toEqual(Object.keys(rows[0]!).sort());
      // Every connection, however far down /proc/net/tcp it sits: both ends of each (this process
      // holds both; other processes on the machine may use the same port number elsewhere).
      const ours = rows.filter((r) => r.pid === process.pid && r.state === "ESTABLISHED");
      expect(ours.filter((r) => r.direction === "outbound" && r.remote_port === port)).toHaveLength(CONNECTIONS);
      expect(ours.filter((r) => r.direction === "inbound" && r.local_port === port)).toHaveLength(CONNECTIONS);
    });

    it("run --config with a bad config stops with status 2 and one line naming the key", async () => {
      const file = join(dir, "bad.yaml");
      await writeFile(file, "sockets:\n  sampleIntervalMs: 10\n");
      const result = await runBundle(runtime, dir, ["run", "--config", file]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`spamtrace-probe: invalid config: sockets.sampleIntervalMs 10 must be >= 50 (in ${file} or the environment)\n`);
      await rm(file);
    });

    it("bad arguments stop with status 2 naming the flag", async () => {
      const result = await runBundle(runtime, dir, ["snapshot", "--ports", "25,70000"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe("spamtrace-probe: --ports 25,70000: each port must be an integer in 1..65535 (see spamtrace-probe --help)\n");
    });
  });

  describe("streams to a real collector over mTLS", () => {
    let lab: Lab;
    const probes: ReturnType<typeof spawn>[] = [];

    beforeAll(async () => {
      lab = await makeLab({ store: "embedded", probeHostIds: ["bundle-n20", "bundle-n18"], ports: [port] });
      await lab.startCollector();
    });
    afterAll(async () => {
      for (const probe of probes) probe.kill("SIGKILL");
      await lab?.close();
    });

    it("both runtimes' probes report their Hello and the connection, stored in ClickHouse", async () => {
      for (const [hostId, runtime] of [["bundle-n20", runtimes[0]!], ["bundle-n18", runtimes[1]!]] as const) {
        const cwd = await mkdtemp(join(lab.dir, `run-${hostId}-`));
        await copyFile(bundle, join(cwd, "spamtrace-probe.cjs"));
        const probe = spawn(runtime.node, ["spamtrace-probe.cjs", "run", "--config", lab.probeConfigFile(hostId)], { cwd, env: runtime.env, stdio: "ignore" });
        probes.push(probe);
      }
      const hosts = await waitFor(
        "both probes' Hello in hosts",
        async () => {
          const rows = await lab.sql<{ host_id: string; probe_version: string }>(`SELECT host_id, probe_version FROM ${lab.database}.hosts FINAL ORDER BY host_id`);
          return rows.length === 2 ? rows : undefined;
        },
        30_000,
      );
      expect(hosts).toEqual([
        { host_id: "bundle-n18", probe_version: VERSION },
        { host_id: "bundle-n20", probe_version: VERSION },
      ]);
      // Only this test's own connection (its local port): another test file running at the same time may
      // reach a port number it freed moments before and that this listener took, and that foreign
      // connection is not this process's. A row of our connection without its pid (owner not found) fails.
      const ownConnection = `direction = 'outbound' AND remote_port = ${port} AND local_port = ${client.localPort!}`;
      const sockets = await waitFor(
        "both probes' outbound row in socket_snapshots",
        async () => {
          const rows = await lab.sql<{ host_id: string; pid: number; cwd: string }>(
            `SELECT DISTINCT host_id, pid, cwd FROM ${lab.database}.socket_snapshots WHERE ${ownConnection} ORDER BY host_id, pid`,
          );
          return new Set(rows.map((r) => r.host_id)).size === 2 ? rows : undefined;
        },
        30_000,
      );
      const foreign = await lab.sql(
        `SELECT host_id, local_address, local_port, remote_address, state, pid, uid, comm FROM ${lab.database}.socket_snapshots
         WHERE direction = 'outbound' AND remote_port = ${port} AND NOT (${ownConnection}) AND (pid = 0 OR pid != ${process.pid}) LIMIT 20`,
      );
      if (foreign.length > 0) console.log(`other processes' connections to port ${port}, not counted:`, foreign);
      expect(sockets.map((r) => ({ ...r, pid: Number(r.pid) }))).toEqual([
        { host_id: "bundle-n18", pid: process.pid, cwd: process.cwd() },
        { host_id: "bundle-n20", pid: process.pid, cwd: process.cwd() },
      ]);
      for (const probe of probes) expect(probe.exitCode).toBeNull();
    });
  });
});
