// The example playbook (deploy/ansible/site.yml), run by Debian's ansible-playbook over SSH (an sshd of the
// test's own on a loopback port, host key pinned in a known_hosts file) to this machine: it installs the
// collector and the probe from `npm run release` tarballs into a test root, a second run changes nothing,
// the installed collector and probe run exactly as their units' ExecStart would (setpriv, as systemd is not
// PID 1 here) and the probe's rows arrive in the installed collector's ClickHouse. Then an upgrade in place
// (newer probe artifact and a renewed certificate) while the collector is down, the spool holds unacknowledged
// batches and the log cursor is mid-file: nothing lost or doubled. Last, state absent removes what the roles
// installed and keeps the spool; with purge, the spool and users go too. The probe reads a Debian-style
// root:adm 0640 log through its adm membership and a RHEL-style root-only 0600 maillog through the ACL the
// role grants. Needs root (users, setpriv), as CI has it.
import { execFile } from "node:child_process";
import { appendFile, chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { runPlaybook, writeSshInventory, type PlaybookRun } from "./setup/ansible.js";
import { REPO_ROOT, type CliProcess } from "./setup/cli-process.js";
import { spoolLedger } from "./setup/delivery-ledger.js";
import { freePort } from "./setup/free-port.js";
import { acquireMachineLock, type ReleaseLock } from "./setup/machine-lock.js";
import { readUnitFile, startAsUnit } from "./setup/run-as-unit.js";
import { startTestSshd, sshRun, type TestSshd } from "./setup/sshd.js";
import { waitFor } from "./setup/wait-for.js";
import { adminSql, collectorInstallPaths, describePath, exists, probeInstallPaths, rejectLine, SPAM_IP, userExists } from "./setup/rollout-host.js";

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const V1 = "0.0.0-rollout.1";
const V2 = "0.0.0-rollout.2";
const HOST_ID = "web1";
const USERS = ["spamtrace-probe", "spamtrace-collector"] as const;
/** A client IP only this test's log lines carry, to count them in mail_windows. */

describe("Ansible rollout over SSH (roles spamtrace_collector and spamtrace_probe)", () => {
  let work: string;
  let root: string;
  let sshd: TestSshd;
  let inventory: string;
  let smtp: Server;
  let smtpPort: number;
  let grpcPort: number;
  let adminPort: number;
  let mailLog: string;
  let rootOnlyLog: string;
  let logLines = 0;
  let collector: CliProcess | undefined;
  let probe: CliProcess | undefined;
  const usersBefore = new Map<string, boolean>();
  let releaseLock: ReleaseLock | undefined;
  const recaps: string[] = [];

  /** Runs the example playbook and keeps its recap for the summary; fails on a failed host. */
  async function playbook(title: string, extraVars: Record<string, unknown> = {}, limit?: string): Promise<PlaybookRun> {
    const started = Date.now();
    const result = await runPlaybook({ inventory, extraVars, ...(limit === undefined ? {} : { limit }) });
    const took = ((Date.now() - started) / 1000).toFixed(1);
    recaps.push(`${title} (${took} s):\n${result.recapText}`);
    console.log(`ansible-playbook: ${title} (${took} s)\n${result.recapText}`);
    if (result.code !== 0) throw new Error(`ansible-playbook (${title}) exited ${result.code}:\n${result.output.slice(-6000)}`);
    return result;
  }

  const probeRoot = () => probeInstallPaths(root);
  const collectorRoot = () => collectorInstallPaths(root);

  const sql = <T>(query: string): Promise<T[]> => adminSql<T>(adminPort, join(collectorRoot().state, "admin.token"), query);

  async function startCollector(): Promise<CliProcess> {
    const spec = await readUnitFile(collectorRoot().unit);
    const started = await startAsUnit(spec);
    await started.waitForOutput(/collector listening/, 180_000);
    return started;
  }

  async function startProbe(): Promise<CliProcess> {
    const dropIn = join(root, "etc/systemd/system/spamtrace-probe.service.d/queue-groups.conf");
    const spec = await readUnitFile(probeRoot().unit, (await exists(dropIn)) ? [dropIn] : []);
    const started = await startAsUnit(spec);
    await started.waitForOutput(/probe started/, 60_000);
    return started;
  }

  async function appendLogLines(n: number, file = mailLog): Promise<void> {
    await appendFile(file, Array.from({ length: n }, (_, k) => rejectLine(logLines + k)).join(""));
    logLines += n;
  }

  async function rejectedStored(): Promise<number> {
    const [row] = await sql<{ n: number | string }>(
      `SELECT sum(rejected) AS n FROM spamtrace.mail_windows WHERE host_id = '${HOST_ID}' AND identity_kind = 'client_ip' AND identity = '${SPAM_IP}'`,
    );
    return Number(row?.n ?? 0);
  }

  async function spoolBatches(): Promise<number> {
    return (await readdir(probeRoot().spool)).filter((name) => name.endsWith(".batch")).length;
  }

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error("the Ansible rollout test needs root (system users, setpriv), as CI has it");
    // The roles create and delete the machine's spamtrace-probe/-collector users: one such test at a time.
    releaseLock = await acquireMachineLock("system-users", 900_000);
    for (const user of USERS) usersBefore.set(user, await userExists(user));
    work = await mkdtemp(join(tmpdir(), "spamtrace-rollout-"));
    // The service users must traverse down to the installed files (mkdtemp makes 0700 folders).
    await chmod(work, 0o755);
    root = join(work, "root");
    await mkdir(join(root, "var/log"), { recursive: true, mode: 0o755 });
    await chmod(root, 0o755);
    // Debian's layout: the MTA log is root:adm 0640; the probe reads it through its adm membership.
    mailLog = join(root, "var/log/mail.log");
    await writeFile(mailLog, "", { mode: 0o640 });
    await chown(mailLog, 0, Number((await run("getent", ["group", "adm"])).stdout.split(":")[2]));
    // RHEL's layout: /var/log/maillog is root:root 0600; the role grants the probe's group read through an ACL.
    rootOnlyLog = join(root, "var/log/maillog");
    await writeFile(rootOnlyLog, "", { mode: 0o600 });

    smtpPort = await freePort();
    // A listener on the watched port puts a socket row in every snapshot.
    smtp = createServer((socket) => socket.on("error", () => {}));
    await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", resolve));
    grpcPort = await freePort();
    adminPort = await freePort();

    const releaseDir = join(work, "release");
    await run("npm", ["run", "release", "--silent", "--", "--version", V1, "--out", releaseDir], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    // The controller issues certificates with the collector release's own CLI: unpacked, production
    // dependencies only, and not the embedded engine's binary (certs need node-forge alone).
    const controller = join(work, "controller");
    await mkdir(controller);
    await run("tar", ["xzf", join(releaseDir, `spamtrace-collector-${V1}.tar.gz`), "-C", controller]);
    const cli = join(controller, `spamtrace-collector-${V1}`);
    await run("npm", ["install", "--omit=dev", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: cli, maxBuffer: 16 * 1024 * 1024 });

    sshd = await startTestSshd();
    expect((await sshRun(sshd, "id -u")).trim()).toBe("0");
    inventory = join(work, "inventory.yml");
    await writeSshInventory(
      inventory,
      sshd,
      {
        spamtrace_collectors: {
          collector1: {
            spamtrace_collector_grpc_host: "127.0.0.1",
            spamtrace_collector_grpc_port: grpcPort,
            spamtrace_collector_admin_port: adminPort,
            spamtrace_collector_cert_names: ["127.0.0.1"],
            spamtrace_collector_npm_install: "npm install --omit=dev --no-audit --no-fund --prefer-offline",
          },
        },
        spamtrace_probes: {
          [HOST_ID]: {
            spamtrace_probe_collector_addresses: [`127.0.0.1:${grpcPort}`],
            spamtrace_probe_ports: [smtpPort],
            spamtrace_probe_mta_kind: "postfix",
            spamtrace_probe_mta_log_paths: [mailLog, rootOnlyLog],
            spamtrace_probe_log_acl_paths: [rootOnlyLog],
            spamtrace_probe_metrics_port: 0,
            spamtrace_probe_config_extra: {
              collector: { reconnectMinMs: 100, reconnectMaxMs: 1000 },
              sockets: { sampleIntervalMs: 100, snapshotIntervalMs: 500 },
              mta: { windowMs: 1000, logStartAt: "start", queueIntervalMs: 0 },
            },
          },
        },
      },
      {
        spamtrace_root: root,
        spamtrace_collector_version: V1,
        spamtrace_probe_version: V1,
        spamtrace_collector_release_dir: releaseDir,
        spamtrace_probe_release_dir: releaseDir,
        spamtrace_certs_command: `node ${join(cli, "bin/spamtrace.js")}`,
        spamtrace_certs_controller_dir: join(work, "controller-certs"),
      },
    );
  }, 1_500_000);

  afterAll(async () => {
    await probe?.kill("SIGKILL");
    await collector?.kill("SIGKILL");
    await new Promise((resolve) => smtp?.close(resolve));
    await sshd?.stop();
    for (const user of USERS) {
      if (usersBefore.get(user) === false && (await userExists(user))) await run("userdel", [user]).catch(() => {});
      if (usersBefore.get(user) === false) await run("groupdel", [user]).catch(() => {});
    }
    if (work) await rm(work, { recursive: true, force: true });
    await releaseLock?.();
    if (recaps.length > 0) console.log(`\nAnsible rollout recaps:\n\n${recaps.join("\n\n")}`);
  });

  it("first run installs collector and probe: files, owners, modes, users, units, configs, certificates", { timeout: 900_000 }, async () => {
    const first = await playbook("first run");
    expect(first.recap.collector1?.failed).toBe(0);
    expect(first.recap[HOST_ID]?.failed).toBe(0);
    expect(first.recap.collector1?.changed).toBeGreaterThan(0);
    expect(first.recap[HOST_ID]?.changed).toBeGreaterThan(0);
    // No systemd as PID 1 here: the unit is installed, not started, and the run says so.
    expect(first.output).toMatch(/spamtrace-probe\.service installed but not enabled or started/);

    const p = probeRoot();
    const c = collectorRoot();
    const layout: Array<[string, string]> = [
      [p.bundle, "root:root 644 regular file"],
      [p.config, "root:spamtrace-probe 640 regular file"],
      [p.certs, "root:spamtrace-probe 750 directory"],
      [join(p.certs, "ca.crt"), "root:spamtrace-probe 644 regular file"],
      [join(p.certs, `probe-${HOST_ID}.crt`), "root:spamtrace-probe 644 regular file"],
      [join(p.certs, `probe-${HOST_ID}.key`), "root:spamtrace-probe 640 regular file"],
      [p.state, "spamtrace-probe:spamtrace-probe 750 directory"],
      [p.spool, "spamtrace-probe:spamtrace-probe 750 directory"],
      [p.unit, "root:root 644 regular file"],
      [c.link, "root:root 777 symbolic link"],
      [join(c.link, "bin/spamtrace.js"), "root:root 755 regular file"],
      [c.config, "root:spamtrace-collector 640 regular file"],
      [c.certs, "root:spamtrace-collector 750 directory"],
      [join(c.certs, "collector.key"), "root:spamtrace-collector 640 regular file"],
      [c.state, "spamtrace-collector:spamtrace-collector 750 directory"],
      [c.unit, "root:root 644 regular file"],
      [join(root, "var/lib"), "root:root 755 directory"],
    ];
    const actual = await Promise.all(layout.map(async ([path]) => [path, await describePath(path)] as [string, string]));
    expect(actual).toEqual(layout);
    // The CA's key never leaves the controller; only production dependencies, and the engine, on the collector.
    expect(await exists(join(p.certs, "ca.key"))).toBe(false);
    expect(await exists(join(c.certs, "ca.key"))).toBe(false);
    expect(await exists(join(c.link, "node_modules/chdb"))).toBe(true);
    expect(await exists(join(c.link, "node_modules/vitest"))).toBe(false);

    // System users: no login, the probe in adm (the MTA log's group).
    const probeUser = (await run("getent", ["passwd", "spamtrace-probe"])).stdout.trim().split(":");
    expect(probeUser[5]).toBe(p.state);
    expect(probeUser[6]).toBe("/usr/sbin/nologin");
    expect(Number(probeUser[2])).toBeLessThan(1000);
    expect((await run("id", ["-nG", "spamtrace-probe"])).stdout.split(/\s+/)).toContain("adm");
    expect((await run("getent", ["passwd", "spamtrace-collector"])).stdout).toMatch(/:\/usr\/sbin\/nologin\n?$/);
    expect((await run("getfacl", ["-p", rootOnlyLog])).stdout).toMatch(/^group:spamtrace-probe:r--$/m);

    // Units: the release's own files with their paths moved under the test root.
    const probeUnit = await readUnitFile(p.unit);
    expect(probeUnit.user).toBe("spamtrace-probe");
    // V8 flags of the shipped unit: a 1 MiB young generation and no optimising compiler (bench/footprint).
    expect(probeUnit.execStart).toEqual(["/usr/bin/node", "--max-semi-space-size=1", "--lite-mode", p.bundle, "run", "--config", p.config]);
    const shipped = await readFile(join(p.cache, `spamtrace-probe-${V1}`, "spamtrace-probe.service"), "utf8");
    expect((await readFile(p.unit, "utf8")).replaceAll(root, "")).toBe(shipped);
    const collectorUnit = await readUnitFile(c.unit);
    expect(collectorUnit.execStart).toEqual(["/usr/bin/node", "--heap-growing-percent=50", join(c.link, "bin/spamtrace.js"), "serve", "--config", c.config]);

    // Configs as the variables say.
    const probeConfig = parseYaml(await readFile(p.config, "utf8")) as Record<string, Record<string, unknown>>;
    expect(probeConfig).toMatchObject({
      hostId: HOST_ID,
      collector: { address: `127.0.0.1:${grpcPort}`, certsDir: p.certs, reconnectMaxMs: 1000 },
      sockets: { ports: [smtpPort] },
      mta: { kind: "postfix", logPaths: [mailLog, rootOnlyLog] },
      spool: { dir: p.spool, maxBytes: 268435456 },
    });
    const collectorConfig = parseYaml(await readFile(c.config, "utf8")) as Record<string, Record<string, unknown>>;
    expect(collectorConfig).toMatchObject({
      collectorId: "collector1",
      grpc: { host: "127.0.0.1", port: grpcPort, certsDir: c.certs },
      admin: { port: adminPort, tokenFile: join(c.state, "admin.token") },
      store: { dataDir: join(c.state, "clickhouse"), database: "spamtrace" },
    });
    expect(collectorConfig.store).not.toHaveProperty("url");

    // The probe's certificate names its host id and chains to the controller's CA.
    const { stdout: subject } = await run("openssl", ["x509", "-noout", "-subject", "-in", join(p.certs, `probe-${HOST_ID}.crt`)]);
    expect(subject).toMatch(new RegExp(`CN ?= ?${HOST_ID}`));
    await run("openssl", ["verify", "-CAfile", join(p.certs, "ca.crt"), join(p.certs, `probe-${HOST_ID}.crt`)]);
  });

  it("second run changes nothing (changed=0)", { timeout: 900_000 }, async () => {
    const second = await playbook("second run (idempotence)");
    expect(second.changedTasks).toEqual([]);
    expect(second.recap.collector1).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    expect(second.recap[HOST_ID]).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
  });

  it("the installed collector and probe, started as their units' ExecStart, store the probe's rows", { timeout: 600_000 }, async () => {
    collector = await startCollector();
    probe = await startProbe();
    await appendLogLines(50);
    await appendLogLines(10, rootOnlyLog);
    await waitFor(
      "socket rows and log lines of the installed probe in the installed collector's ClickHouse",
      async () => {
        const [row] = await sql<{ n: number | string }>(
          `SELECT count() AS n FROM spamtrace.socket_snapshots WHERE host_id = '${HOST_ID}' AND local_port = ${smtpPort}`,
        );
        return Number(row?.n ?? 0) > 0 && (await rejectedStored()) === logLines ? true : undefined;
      },
      120_000,
      500,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nprobe:\n${probe?.output().slice(-3000)}\ncollector:\n${collector?.output().slice(-3000)}`);
    });
    // `spamtrace sql` of the installed collector, as an analyst on that host runs it.
    const { stdout } = await run("node", [
      join(collectorRoot().link, "bin/spamtrace.js"),
      "sql",
      "--json",
      "--config",
      collectorRoot().config,
      `SELECT host_id, count() AS snapshots FROM spamtrace.socket_snapshots WHERE host_id = '${HOST_ID}' GROUP BY host_id`,
    ]);
    expect(JSON.parse(stdout.trim().split("\n")[0]!)).toMatchObject({ host_id: HOST_ID });
  });

  it("upgrade in place with unacknowledged batches and a mid-file log cursor: nothing lost or doubled, certificate renewed", { timeout: 900_000 }, async () => {
    const p = probeRoot();
    const certFile = join(p.certs, `probe-${HOST_ID}.crt`);
    const endDate = async (): Promise<string> => (await run("openssl", ["x509", "-noout", "-enddate", "-in", certFile])).stdout.trim();
    const oldEnd = await endDate();

    // Collector down: the probe keeps reading the log and spools batches nobody acknowledges.
    await collector!.kill("SIGTERM");
    collector = undefined;
    await appendLogLines(40);
    await waitFor("unacknowledged batches in the spool", async () => ((await spoolBatches()) >= 3 ? true : undefined), 60_000, 250);
    await sleep(1500); // let the probe read the 40 lines and spool their window
    await probe!.kill("SIGTERM");
    probe = undefined;
    const spooled = await spoolBatches();
    const cursors = await readdir(join(p.spool, "cursors"));
    expect(cursors.length).toBeGreaterThan(0);
    // Written while the probe is down: its cursor now sits mid-file.
    await appendLogLines(30);

    await run("npm", ["run", "release", "--silent", "--", "--version", V2, "--out", join(work, "release")], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    const upgrade = await playbook("upgrade: newer probe artifact, certificate renewed (730 days)", { spamtrace_probe_version: V2, spamtrace_probe_cert_days: 730 }, HOST_ID);
    expect(upgrade.recap[HOST_ID]).toMatchObject({ failed: 0 });
    expect(upgrade.recap[HOST_ID]!.changed).toBeGreaterThan(0);
    expect((await run("node", [p.bundle, "--version"])).stdout.trim()).toContain(V2);
    expect(await endDate()).not.toBe(oldEnd);
    // The spool survived the upgrade untouched.
    expect(await spoolBatches()).toBe(spooled);
    expect(await readdir(join(p.spool, "cursors"))).toEqual(cursors);

    probe = await startProbe();
    // The new version picked up every batch the old one left unacknowledged.
    const started = JSON.parse(probe.output().split("\n").find((line) => line.includes('"probe started"'))!) as { pending: number };
    expect(started.pending).toBe(spooled);
    await appendLogLines(20);
    collector = await startCollector();
    await waitFor("spool drained and every log line stored", async () => ((await spoolBatches()) <= 1 && (await rejectedStored()) >= logLines ? true : undefined), 120_000, 500).catch(
      (error: unknown) => {
        throw new Error(`${(error as Error).message}\nprobe:\n${probe?.output().slice(-3000)}`);
      },
    );
    await sleep(1500); // anything counted twice would arrive by now
    await probe.kill("SIGTERM");
    probe = undefined;
    const ledger = await spoolLedger({ spoolDir: p.spool, database: "spamtrace", sql }, HOST_ID);
    console.log(`upgrade ledger: ${JSON.stringify(ledger)}; log lines written ${logLines}, counted ${await rejectedStored()}; batches spooled across the upgrade ${spooled}`);
    expect(ledger).toMatchObject({ duplicates: 0, lost: 0, evictedReported: 0 });
    expect(ledger.stored + ledger.inSpool).toBe(ledger.sent);
    expect(await rejectedStored()).toBe(logLines);
    const [latest] = await sql<{ v: string }>(`SELECT argMax(probe_version, last_seen_unix_ms) AS v FROM spamtrace.hosts WHERE host_id = '${HOST_ID}'`);
    expect(latest?.v).toBe(V2);
    await collector.kill("SIGTERM");
    collector = undefined;
  });

  it("state absent removes what the roles installed and keeps the spool", { timeout: 900_000 }, async () => {
    const absent = await playbook("state absent", { spamtrace_probe_state: "absent", spamtrace_collector_state: "absent" });
    expect(absent.recap[HOST_ID]?.failed).toBe(0);
    const p = probeRoot();
    const c = collectorRoot();
    const gone = [p.unit, p.bundle, p.config, p.certs, p.cache, c.unit, c.link, c.config, c.certs, c.cache, join(root, "opt/spamtrace"), join(root, "etc/spamtrace")];
    expect(await Promise.all(gone.map(async (path) => [path, await exists(path)]))).toEqual(gone.map((path) => [path, false]));
    expect(await readdir(join(root, "opt"))).toEqual([]);
    expect((await run("getfacl", ["-p", rootOnlyLog])).stdout).not.toMatch(/spamtrace-probe/);
    // Kept: the probe's spool and log cursors, and the collector's data (purge removes them).
    expect(await exists(join(p.spool, "state.json"))).toBe(true);
    expect((await readdir(join(p.spool, "cursors"))).length).toBeGreaterThan(0);
    expect(await exists(join(c.state, "clickhouse"))).toBe(true);
    expect(await userExists("spamtrace-probe")).toBe(true);
  });

  it("state absent with purge removes the spool, the collector's data and the system users", { timeout: 600_000 }, async () => {
    await playbook("state absent, purge", {
      spamtrace_probe_state: "absent",
      spamtrace_collector_state: "absent",
      spamtrace_probe_purge: true,
      spamtrace_collector_purge: true,
    });
    expect(await exists(probeRoot().state)).toBe(false);
    expect(await exists(collectorRoot().state)).toBe(false);
    for (const user of USERS) expect(await userExists(user)).toBe(false);
  });
});
