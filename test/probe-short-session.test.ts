// The probe's socket sampling as `spamtrace-probe run` wires it (a TcpOpenWatch
// gating ProcSocketSampler every 50 ms into a SocketAccumulator) against real
// /proc: throwaway processes (bash, each in its own folder) hold an SMTP-like
// session shorter than the old 500 ms sample interval, and each one is seen
// with its pid, exe and cwd. No services: a listener in this process.
import { spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SocketAccumulator } from "../probe/collect/sockets/accumulate-sockets.js";
import { ProcSocketSampler } from "../probe/collect/sockets/proc-socket-source.js";
import { TcpOpenWatch } from "../probe/collect/sockets/tcp-open-counter.js";
import { ProbeMetrics } from "../probe/metrics/probe-metrics.js";
import { sampleSockets } from "../probe/pipeline/sample-sockets.js";
import { moduleLogger } from "../shared/log/logger.js";
import { waitFor } from "./setup/wait-for.js";

/** Seconds each session lasts: under the old sample interval (500 ms), with room for a loaded 2-core machine. */
const SESSION_S = 0.3;
const SESSIONS = 3;

describe("short SMTP sessions from throwaway processes", () => {
  let server: Server;
  let port: number;
  const accepted: Socket[] = [];
  let dir: string;
  let stop: () => void;
  const into = new SocketAccumulator(Date.now());
  let sampler: ProcSocketSampler;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-short-"));
    server = createServer((socket) => accepted.push(socket.on("error", () => undefined)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    sampler = new ProcSocketSampler({ ports: [port] });
    const opens = new TcpOpenWatch();
    stop = sampleSockets({ read: () => sampler.sample(), into, intervalMs: 50, check: () => opens.check(), metrics: new ProbeMetrics(), logger: moduleLogger("test") });
    // The first sample searches every process for the listener's owner (seconds on a loaded host); sessions come after.
    await waitFor("the first socket sample", async () => (into.sampleCount > 0 ? true : undefined), 60_000, 20);
  });
  afterAll(async () => {
    stop?.();
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("TcpOpenWatch sees a connect() in the live /proc/net/snmp through the file it keeps open", async () => {
    const watch = new TcpOpenWatch();
    watch.check();
    const client = connect(port, "127.0.0.1");
    await new Promise((resolve) => client.once("connect", resolve));
    expect(watch.check()).toBe("opened");
    // A close leaves ESTABLISHED: CurrEstab moves (or another process of the host opened a connection meanwhile).
    client.destroy();
    await waitFor("a change after the close", async () => (watch.check() !== "still" ? true : undefined), 5_000, 20);
    watch.close();
  });

  it(`sees each ${SESSION_S} s session with the process's pid, exe and cwd`, async () => {
    const bash = realpathSync("/bin/bash");
    const sessions: Array<{ pid: number; cwd: string }> = [];
    for (let i = 0; i < SESSIONS; i++) {
      const cwd = realpathSync(await mkdtemp(join(dir, `session-${i}-`)));
      const child = spawn(bash, ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}; read -t ${SESSION_S} -u 3; exit 0`], { cwd, stdio: "ignore" });
      await new Promise((resolve) => child.once("exit", resolve));
      sessions.push({ pid: child.pid!, cwd });
    }
    const seen = into.drain(Date.now()).sockets.map((s) => s.record).filter((r) => r.direction === "outbound" && r.remote_port === port);
    for (const session of sessions) {
      expect(seen).toContainEqual(expect.objectContaining({ pid: session.pid, exe: bash, cwd: session.cwd, comm: "bash" }));
    }
    expect(sampler.stats.ownerScans).toBeGreaterThanOrEqual(1 + SESSIONS);
  });
});
