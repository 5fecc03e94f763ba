import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, realpath } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

interface SocketRow {
  pid: number;
  ppid: number;
  uid: number | null;
  user: string;
  comm: string;
  argv: string[];
  exe: string;
  exe_deleted: number;
  cwd: string;
  state: string;
  direction: string;
  remote_port: number;
  local_address: string;
}

// End to end on real parts: `spamtrace serve` + `spamtrace-probe run` as
// processes, mTLS on loopback, a real SMTP-port connection from a process
// whose exe and cwd we know, found in ClickHouse through `spamtrace sql`'s path.
describe.each([{ store: "embedded" as const }, { store: "clickhouse-server-18.16" as const }])("socket snapshots end to end ($store)", ({ store }) => {
  let server: ClickHouseServer | undefined;
  let lab: Lab;
  let smtp: net.Server;
  let smtpPort: number;
  let sender: ChildProcess | undefined;

  beforeAll(async () => {
    if (store !== "embedded") server = await startClickHouseServer();
    smtpPort = await freePort();
    smtp = net.createServer((socket) => socket.write("220 test ESMTP\r\n"));
    await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", resolve));
    lab = await makeLab({ store: server ?? "embedded", probeHostIds: ["e2e-web1"], ports: [smtpPort] });
    await lab.startCollector();
    await lab.startProbe("e2e-web1");
  });

  afterAll(async () => {
    sender?.kill("SIGKILL");
    await new Promise((resolve) => smtp?.close(resolve));
    await lab?.close();
    await server?.stop();
  });

  it("stores the outbound SMTP connection of a process with its pid, exe, cwd and argv", async () => {
    const cwd = join(lab.dir, "home", "site1", "public_html");
    await mkdir(cwd, { recursive: true });
    const script = `const s = require("net").connect(${smtpPort}, "127.0.0.1"); s.on("data", () => {}); setTimeout(() => process.exit(0), 20000);`;
    sender = spawn(process.execPath, ["-e", script, "mailer-marker"], { cwd, stdio: "ignore" });
    const pid = sender.pid!;
    const started = Date.now();
    const rows = await waitFor(
      "the sender's socket in socket_snapshots",
      async () => {
        const found = await lab.sql<SocketRow>(
          `SELECT pid, ppid, uid, user, comm, argv, exe, exe_deleted, cwd, state, direction, remote_port, local_address
           FROM ${lab.database}.socket_snapshots WHERE host_id = 'e2e-web1' AND direction = 'outbound' AND pid = ${pid}`,
        );
        return found.length > 0 ? found : undefined;
      },
      10_000,
    );
    const latencyMs = Date.now() - started;
    expect(latencyMs).toBeLessThan(10_000);
    const row = rows[0]!;
    expect(row).toMatchObject({
      pid,
      ppid: process.pid,
      uid: process.getuid!(),
      comm: "node",
      argv: [process.execPath, "-e", script, "mailer-marker"],
      exe: await realpath(process.execPath),
      exe_deleted: 0,
      cwd,
      state: "ESTABLISHED",
      direction: "outbound",
      remote_port: smtpPort,
      local_address: "127.0.0.1",
    });
    expect(Number(row.pid)).toBe(pid);
  });

  it("stores the host's Hello and the listener with its owner", async () => {
    const hosts = await lab.sql<{ host_id: string; cert_name: string; probe_version: string; collector_id: string }>(
      `SELECT host_id, cert_name, probe_version, collector_id FROM ${lab.database}.hosts FINAL`,
    );
    expect(hosts).toEqual([{ host_id: "e2e-web1", cert_name: "e2e-web1", probe_version: "0.1.0", collector_id: "lab-collector" }]);
    const listeners = await lab.sql<{ pid: number; state: string }>(
      `SELECT DISTINCT pid, state FROM ${lab.database}.socket_snapshots WHERE direction = 'listen' AND local_port = ${smtpPort}`,
    );
    expect(listeners.map((r) => ({ pid: Number(r.pid), state: r.state }))).toEqual([{ pid: process.pid, state: "LISTEN" }]);
  });
});
