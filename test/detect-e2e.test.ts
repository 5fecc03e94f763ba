import { spawn, type ChildProcess } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import type { CliProcess } from "./setup/cli-process.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

interface Received {
  at: number;
  body: Record<string, unknown>;
}

// The whole product on real parts: a process in /tmp calling itself
// "sendmail" talks SMTP straight to a remote MX; the real probe sees the
// socket, the real collector stores it in ClickHouse 18.16, detection names
// the culprit, and the abuse team's webhook gets exactly one notification.
describe("direct-to-MX spam, from socket to webhook", () => {
  let server: ClickHouseServer;
  let lab: Lab;
  let webhook: Server;
  const received: Received[] = [];
  let mx: net.Server;
  let mxAddress: string;
  let dropDir: string;
  let spammer: ChildProcess | undefined;
  let collector: CliProcess;
  const mxSockets = new Set<net.Socket>();

  beforeAll(async () => {
    server = await startClickHouseServer();
    webhook = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        received.push({ at: Date.now(), body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(200).end("ok");
      });
    });
    const webhookPort = await freePort();
    await new Promise<void>((resolve) => webhook.listen(webhookPort, "127.0.0.1", resolve));
    // 127.0.0.0/8 is all on lo: another loopback address stands in for a remote MX on port 25.
    mxAddress = "127.0.0.77";
    mx = net.createServer((s) => {
      mxSockets.add(s.on("error", () => {}).on("end", () => s.end()));
      s.write("220 mx.example ESMTP\r\n");
    });
    await new Promise<void>((resolve, reject) => mx.once("error", reject).listen(25, mxAddress, resolve));
    lab = await makeLab({
      store: server,
      probeHostIds: ["web7"],
      ports: [25],
      probeExtra: { sockets: { sampleIntervalMs: 100, snapshotIntervalMs: 500 }, mta: { kind: "none" } },
      collectorExtra: {
        // Loopback is trusted ("inside") by default; here it plays the Internet.
        detect: { intervalMs: 1000, trustedNetworks: [] },
        alert: { webhooks: [{ name: "abuse-desk", url: `http://127.0.0.1:${webhookPort}/hook` }] },
      },
    });
    collector = await lab.startCollector();
    await lab.startProbe("web7");
    dropDir = await mkdtemp(join(tmpdir(), "php-drop-"));
  });

  afterAll(async () => {
    spammer?.kill("SIGKILL");
    await lab?.close();
    for (const socket of mxSockets) socket.destroy();
    await new Promise((resolve) => mx?.close(resolve));
    webhook?.closeAllConnections();
    await new Promise((resolve) => webhook?.close(resolve));
    await server?.stop();
    if (dropDir) await rm(dropDir, { recursive: true, force: true });
  });

  it("names the process (pid, exe in /tmp, argv, cwd, MX) in one incident and one webhook call", async () => {
    // A real binary copied under a name that mimics the MTA (a copied shim would run the real sendmail).
    const exe = join(dropDir, "sendmail");
    await copyFile("/bin/bash", exe);
    await chmod(exe, 0o755);
    const cwd = join(dropDir, "wp-content", "uploads");
    await mkdir(cwd, { recursive: true });
    const script = `for i in 1 2 3 4 5 6; do exec 3<>/dev/tcp/${mxAddress}/25; read -t 1 line <&3; echo "EHLO x" >&3; sleep 1; exec 3<&-; done`;
    const started = Date.now();
    spammer = spawn(exe, ["-c", script], { cwd, stdio: "ignore" });
    const pid = spammer.pid!;

    await waitFor("a webhook notification", async () => (received.length > 0 ? true : undefined), 60_000, 200).catch(async (error: unknown) => {
      const sockets = await lab.sql(`SELECT pid, comm, exe, cwd, remote_address, remote_port, state FROM ${lab.database}.socket_snapshots WHERE direction = 'outbound' LIMIT 5`);
      throw new Error(`${(error as Error).message}; outbound sockets stored: ${JSON.stringify(sockets)}; collector said:\n${collector.output().slice(-3000)}`);
    });
    const latencyMs = received[0]!.at - started;
    await new Promise((resolve) => setTimeout(resolve, 4000)); // updates within the rate limit must not notify
    expect(received.map((r) => JSON.stringify(r.body).slice(0, 400)), "webhook calls").toEqual([expect.stringContaining("direct-to-mx")]);
    const body = JSON.stringify(received[0]!.body);
    expect(body).toContain("direct-to-mx");
    expect(body).toContain(exe);
    expect(body).toContain(String(pid));
    expect(body).toContain(cwd);
    expect(body).toContain(mxAddress);
    console.log(`direct-to-mx: first connection -> webhook in ${latencyMs} ms`);

    const stored = await lab.sql<{ rule: string; subject: string }>(`SELECT rule, subject FROM ${lab.database}.alerts FINAL WHERE rule = 'direct-to-mx'`);
    expect(stored.length).toBe(1);
    expect(stored[0]!.subject).toContain(exe);
  });
});
