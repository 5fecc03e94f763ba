// `spamtrace scan` over SSH against an sshd of the test's own: a test process
// holds a real outbound SMTP connection (to a python3 listener on 127.0.0.125:25);
// the scan sends the probe bundle over, runs its socket collection there,
// stores the sockets under the inventory name marked as a scan, and the
// direct-to-mx rule fires for that process. A host whose key changed and an
// unreachable host are reported, and the rest of the scan completes.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertConfigSchema } from "../collector/config/collector-config.js";
import { detectConfigSchema } from "../collector/detect/detect-config.js";
import { syslogTime } from "../collector/detect/fleet-simulator.test-support.js";
import { sshConfigSchema } from "../collector/ssh/ssh-config.js";
import { parseInventory } from "../collector/scan/inventory.js";
import { formatScanSummary, runScan, type ScanRow } from "../collector/scan/run-scan.js";
import { SCAN_PROBE_VERSION } from "../collector/scan/snapshot-to-batch.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import type { Finding } from "../collector/vocabulary/finding.js";
import { shellQuote } from "../collector/ssh/ssh-session.js";
import { REPO_ROOT } from "./setup/cli-process.js";
import { freePort } from "./setup/free-port.js";
import { ensureProbeBundle } from "./setup/probe-bundle.js";
import { startTestSshd, type TestSshd } from "./setup/sshd.js";
import { waitFor } from "./setup/wait-for.js";

const MX = "127.0.0.125";

describe("spamtrace scan over SSH", () => {
  let sshd: TestSshd;
  let dir: string;
  let store: ChdbStore;
  let mx: ChildProcess;
  let sender: ChildProcess;
  let rows: ScanRow[];
  let findings: Finding[];
  let summary: string;
  let closedPort: number;

  beforeAll(async () => {
    sshd = await startTestSshd();
    dir = await mkdtemp(join(tmpdir(), "spamtrace-scan-"));
    store = await ChdbStore.open(join(dir, "chdb"), "scan");
    await migrate(store, { database: "scan", retentionDays: 30 });
    // The receiving MX is another program than the sender (python3): the scan takes a host's SMTP listeners for its MTA.
    mx = spawn("python3", ["-c", `import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("${MX}", 25)); s.listen(8)
print("listening", flush=True)
held = []
while True:
    c, _ = s.accept(); c.sendall(b"220 mx.test ESMTP\\r\\n"); held.append(c); print("accepted", flush=True)`], { stdio: ["ignore", "pipe", "inherit"] });
    let mxOut = "";
    mx.stdout!.on("data", (c: Buffer) => (mxOut += c.toString()));
    await waitFor("the MX listener", async () => (mxOut.includes("listening") ? true : undefined), 10_000);
    // A real outbound SMTP connection from a process that is not an MTA, held open during the scan.
    sender = spawn(process.execPath, ["-e", `const s=require("net").connect(25,"${MX}");s.on("data",()=>{});setInterval(()=>{},1000)`], { cwd: dir, stdio: "ignore" });
    await waitFor("the sender's connection", async () => (mxOut.includes("accepted") ? true : undefined), 10_000);

    // web-a's MTA log: the real Postfix lines of the fixture, re-timed to the last minutes.
    const mailLog = join(dir, "mail.log");
    const fixture = (await readFile(new URL("./fixtures/mta-logs/postfix-submission-lab.log", import.meta.url), "utf8")).split("\n").filter(Boolean);
    await writeFile(mailLog, fixture.map((l, i) => `${syslogTime(Date.now() - 120_000 + i * 100)}${l.slice(15)}`).join("\n") + "\n");
    const wrongKnownHosts = join(dir, "known_hosts_changed");
    await writeFile(wrongKnownHosts, `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake\n`);
    closedPort = await freePort();
    const inventoryFile = join(dir, "inventory.yml");
    await writeFile(
      inventoryFile,
      [
        "all:",
        "  children:",
        "    web:",
        "      hosts:",
        `        web-a: { ansible_host: 127.0.0.1, ansible_port: ${sshd.port} }`,
        `        web-b: { ansible_host: 127.0.0.1, ansible_port: ${closedPort} }`,
        "    mail:",
        "      hosts:",
        `        mx-rekeyed: { ansible_host: 127.0.0.1, ansible_port: ${sshd.port} }`,
        "",
      ].join("\n"),
    );
    const inventory = parseInventory(await readFile(inventoryFile, "utf8"));
    const ssh = sshConfigSchema.parse({ user: sshd.user, privateKeyFile: sshd.clientKeyFile, knownHostsFile: sshd.knownHostsFile, timeoutMs: 5_000 });
    // mx-rekeyed: the same sshd, but its known_hosts records another key for it.
    ssh.hosts = { "mx-rekeyed": { knownHostsFile: wrongKnownHosts }, "web-a": { mtaLogPaths: [join(dir, "missing.log"), mailLog] } };
    const progress: string[] = [];
    const result = await runScan({
      store,
      inventory,
      ssh,
      probeBundle: await ensureProbeBundle(),
      concurrency: 2,
      timeoutMs: 30_000,
      logMinutes: 10,
      collectorId: "scan-test",
      detect: detectConfigSchema.parse({ enabled: false, trustedNetworks: [] }),
      alert: alertConfigSchema.parse({}),
      onHost: (row, done, total) => progress.push(`${done}/${total} ${row.name}`),
    });
    rows = result.rows;
    findings = result.findings;
    summary = formatScanSummary(rows);
    expect(progress).toHaveLength(3);
  }, 180_000);

  afterAll(async () => {
    sender?.kill("SIGKILL");
    mx?.kill("SIGKILL");
    await sshd?.stop();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reaches the host, stores its sockets under the inventory name marked as a scan", async () => {
    const a = rows.find((r) => r.name === "web-a")!;
    expect(a).toMatchObject({ outcome: "reached", reason: "", target: `root@127.0.0.1:${sshd.port}` });
    expect(a.outbound).toBeGreaterThanOrEqual(1);
    const hosts = await store.query<Record<string, unknown>>("SELECT host_id, probe_version, cert_name FROM scan.hosts");
    expect(hosts).toEqual([{ host_id: "web-a", probe_version: SCAN_PROBE_VERSION, cert_name: "scan" }]);
    // ESTABLISHED: a TIME_WAIT of an earlier run's sender (killed less than a minute ago) has no process.
    const sockets = await store.query<Record<string, unknown>>(`SELECT exe, cwd, remote_address, remote_port FROM scan.socket_snapshots WHERE host_id = 'web-a' AND direction = 'outbound' AND state = 'ESTABLISHED' AND remote_address = '${MX}'`);
    expect(sockets).toEqual([{ exe: process.execPath, cwd: dir, remote_address: MX, remote_port: 25 }]);
  });

  it("reads the last minutes of the host's MTA log with the probe's parsers and stores the windows", async () => {
    expect(rows.find((r) => r.name === "web-a")!.log).toMatch(new RegExp(`^${join(dir, "mail.log")}: [1-9]\\d* windows$`));
    const windows = await store.query<Record<string, unknown>>("SELECT identity_kind, identity, sum(received) AS received FROM scan.mail_windows WHERE host_id = 'web-a' AND identity_kind = 'sasl_user' GROUP BY identity_kind, identity");
    expect(windows.map((w) => [w.identity, Number(w.received) > 0])).toEqual([["petra@example.org", true]]);
    const stats = await store.query<Record<string, unknown>>("SELECT path FROM scan.log_read_stats WHERE host_id = 'web-a'");
    expect(stats).toEqual([{ path: join(dir, "mail.log") }]);
  });

  it("raises the direct-to-mx incident for the sending process", () => {
    const f = findings.find((x) => x.rule === "direct-to-mx" && x.scopeHost === "web-a");
    expect(f, JSON.stringify(findings.map((x) => [x.rule, x.subject]))).toBeDefined();
    expect(f!.details).toMatchObject({ pid: sender.pid, exe: process.execPath, cwd: dir });
    expect(rows.find((r) => r.name === "web-a")!.findings.some((x) => x.startsWith("direct-to-mx "))).toBe(true);
  });

  it("refuses a host whose key changed, with a clear message", () => {
    expect(rows.find((r) => r.name === "mx-rekeyed")).toMatchObject({
      outcome: "failed",
      reason: `host key of [127.0.0.1]:${sshd.port} refused: it does not match the key recorded in ${join(dir, "known_hosts_changed")} (line 1): the host was reinstalled or someone is in the middle; check before updating known_hosts`,
    });
  });

  it("as a command on a terminal: plain-list inventory, its own embedded store, a progress bar, the summary table, exit 3 for a finding", async () => {
    const list = join(dir, "hosts.txt");
    await writeFile(list, `# plain list\nroot@127.0.0.1:${sshd.port}\n`);
    const configFile = join(dir, "collector.json");
    await writeFile(configFile, JSON.stringify({ store: { dataDir: join(dir, "cli-chdb") }, ssh: { privateKeyFile: sshd.clientKeyFile, knownHostsFile: sshd.knownHostsFile }, detect: { trustedNetworks: [] } }));
    // util-linux script(1) gives the command a terminal: the progress bar is drawn only there (stdout and stderr both land in the typescript).
    const command = [process.execPath, join(REPO_ROOT, "bin/spamtrace.js"), "scan", "--inventory", list, "--config", configFile, "--probe-bundle", await ensureProbeBundle(), "--log-minutes", "0"].map((a) => shellQuote(a)).join(" ");
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile("script", ["-q", "-e", "-c", command, "/dev/null"], { cwd: dir, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, out: stdout }));
    });
    expect(r.code, r.out).toBe(3);
    expect(r.out).toContain(`\r\x1b[K[${"#".repeat(20)}] 1/1 127.0.0.1 reached\r\n`);
    // The command's structured log lines (stderr) land in the typescript too: the table starts at its header.
    const all = r.out.split("\r\n");
    const lines = all.slice(all.findIndex((l) => l.startsWith("host "))).filter((l) => l !== "" && !l.startsWith("{"));
    expect(lines[0]).toMatch(/^host +target +outcome +mta +sockets +outbound +queue +log +findings +reason$/);
    // mta: this machine's Debian Postfix, installed by the test setup (its default instance is not configured, so its queue is not read).
    expect(lines[1]).toMatch(new RegExp(`^127\\.0\\.0\\.1 +root@127\\.0\\.0\\.1:${sshd.port} +reached +postfix \\d[\\d.]* +\\d+ +[1-9]\\d* +.+ +- +direct-to-mx `));
    expect(lines.at(-1)).toMatch(/^1 hosts: 1 reached, 0 failed, [1-9]\d* findings$/);
  });

  it("reports an unreachable host and completes the rest", () => {
    const b = rows.find((r) => r.name === "web-b")!;
    expect(b.outcome).toBe("failed");
    expect(b.reason).toMatch(/ECONNREFUSED/);
    expect(summary.split("\n")[0]).toMatch(/^host +target +outcome +mta +sockets +outbound +queue +log +findings +reason$/);
    expect(summary).toContain("3 hosts: 1 reached, 2 failed");
  });
});
