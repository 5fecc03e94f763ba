// `spamtrace scan` of a real Postfix (and a real Exim) over the test's own sshd: the probe's
// inspect (sent over, run once) detects the MTA — kind, version, binaries,
// log and queue paths of the lab instance — and takes a queue snapshot of the
// real queue, where alice (3) and bob (2) left mail that defers (the relay is
// a closed port). The scan stores both under the inventory name and the
// queue-surge rule fires naming alice. The same host is scanned as root, as a
// login a sudoers drop-in allows exactly the needed commands (`sudo -n`),
// and as a login without a rule (refused at once, the message naming sudo);
// `spamtrace remediate` then holds alice's messages through `sudo -n`. The
// Exim lab (a build outside the system directories, named by
// ssh.hosts.<name>.eximBinary) is scanned as root the same way.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertConfigSchema } from "../collector/config/collector-config.js";
import { detectConfigSchema } from "../collector/detect/detect-config.js";
import { writeIncidents } from "../collector/incidents/alerts-table.js";
import { formatPlan } from "../collector/remediate/build-plan.js";
import { formatApplyReport } from "../collector/remediate/format-apply-report.js";
import { parseEximBp, parsePostqueueJson, type QueuedMessage } from "../collector/remediate/queued-message.js";
import { planRemediation, runStoredPlan, type RemediateDeps } from "../collector/remediate/remediate.js";
import { remediateConfigSchema } from "../collector/remediate/remediate-config.js";
import { parseInventory } from "../collector/scan/inventory.js";
import { formatScanSummary, runScan, type ScanRow } from "../collector/scan/run-scan.js";
import { sshConfigSchema, type SshConfig } from "../collector/ssh/ssh-config.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import type { Finding } from "../collector/vocabulary/finding.js";
import { incidentFor } from "./setup/account-incident.js";
import { sendAuthenticated } from "./setup/mta/drive-traffic.js";
import { startEximLab, type EximLab } from "./setup/mta/exim-lab.js";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";
import { ensureProbeBundle } from "./setup/probe-bundle.js";
import { startTestSshd, type TestSshd } from "./setup/sshd.js";
import { createSudoLogins, type SudoLogins } from "./setup/sudo-logins.js";
import { waitFor } from "./setup/wait-for.js";

const run = promisify(execFile);
const DB = "scan_queue";

/** Exactly what the scan and the remediation of this lab run as root, in sudoers syntax (docs/scan.md, docs/remediate.md). */
function sudoCommands(lab: PostfixLab, installedProbe: string): string[] {
  const c = `-c ${lab.configDir}`;
  return [
    // The bundle sent on stdin (`node -` lets the login run any script as root) or, better, the installed one pinned.
    `/usr/bin/node - inspect --json --mta-env MAIL_CONFIG=${lab.configDir}`,
    `/usr/bin/node ${installedProbe} inspect --json --mta-env MAIL_CONFIG=${lab.configDir}`,
    `/usr/bin/tail -c 16777216 ${lab.logPath}`,
    `/usr/sbin/postqueue ${c} -j`,
    `/usr/sbin/postcat ${c} -e -q *`,
    `/usr/sbin/postsuper ${c} -h *`,
    `/usr/sbin/postsuper ${c} -H *`,
  ];
}

describe("spamtrace scan of a real Postfix and Exim: MTA detection and queue snapshot, as root and through sudo -n", () => {
  let lab: PostfixLab;
  let exim: EximLab;
  let eximVersion: string;
  let sudo: SudoLogins;
  let sshd: TestSshd;
  let dir: string;
  let store: ChdbStore;
  let ssh: SshConfig;
  let queued: QueuedMessage[];
  let rows: ScanRow[];
  let findings: Finding[];
  let mailVersion: string;
  let bundle: string;
  const reached = ["pf-root", "pf-sudo", "pf-installed"];
  const scanned = ["ex-root", "pf-installed", "pf-root", "pf-sudo"];

  beforeAll(async () => {
    [lab, exim] = await Promise.all([startPostfixLab({ smtpHost: "127.0.0.89" }), startEximLab({ smtpHost: "127.0.0.90" })]);
    // The bundle of this checkout stands for one installed on the host (root-owned, like the probe package's).
    bundle = await ensureProbeBundle();
    sudo = await createSudoLogins(sudoCommands(lab, bundle));
    sshd = await startTestSshd({ moreUsers: [sudo.allowed, sudo.refused] });
    dir = await mkdtemp(join(tmpdir(), "spamtrace-scan-queue-"));
    store = await ChdbStore.open(join(dir, "chdb"), DB);
    await migrate(store, { database: DB, retentionDays: 30 });
    mailVersion = (await run("postconf", ["-c", lab.configDir, "-h", "mail_version"])).stdout.trim();
    eximVersion = /^Exim version (\S+)/m.exec((await run(exim.eximPath, ["-bV"])).stdout)?.[1] ?? "?";

    for (const [mta, port] of [[lab, lab.submissionPort], [exim, exim.smtpPort]] as const) {
      const [alice, bob] = mta.users;
      for (const [u, n] of [[alice!, 3], [bob!, 2]] as const) {
        for (let i = 1; i <= n; i++) await sendAuthenticated({ host: mta.smtpHost, port, user: u.name, password: u.password, from: `${u.name}@${mta.domain}`, to: [`victim${i}@example.net`], subject: `${u.name} ${i}` });
      }
    }
    await waitFor(
      "five Exim messages queued, delivery attempted",
      async () => {
        const q = parseEximBp((await run(exim.eximPath, ["-bp"])).stdout);
        return q.length === 5 ? q : undefined;
      },
      60_000,
    );
    queued = await waitFor(
      "five deferred messages",
      async () => {
        const q = parsePostqueueJson((await run("postqueue", ["-c", lab.configDir, "-j"])).stdout);
        return q.length === 5 && q.every((m) => m.queue === "deferred") ? q : undefined;
      },
      60_000,
    );

    const line = (name: string, user: string): string => `${name} ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=${user}\n`;
    const inventory = parseInventory(`[mail]\n${line("pf-root", "root")}${line("pf-sudo", sudo.allowed)}${line("pf-installed", sudo.allowed)}${line("pf-nosudo", sudo.refused)}${line("ex-root", "root")}`);
    ssh = sshConfigSchema.parse({
      privateKeyFile: sshd.clientKeyFile,
      knownHostsFile: sshd.knownHostsFile,
      timeoutMs: 10_000,
      hosts: {
        ...Object.fromEntries(["pf-root", "pf-sudo", "pf-installed", "pf-nosudo"].map((h) => [h, { postfixConfigDir: lab.configDir, ...(h === "pf-installed" ? { probePath: bundle } : {}) }])),
        "ex-root": { eximBinary: exim.eximPath },
      },
    });
    const result = await runScan({
      store,
      inventory,
      ssh,
      probeBundle: bundle,
      concurrency: 5,
      timeoutMs: 60_000,
      logMinutes: 10,
      collectorId: "scan-queue-test",
      detect: detectConfigSchema.parse({ enabled: false, trustedNetworks: [], rules: { queueSurge: { minMessages: 5, baselineMultiplier: 1, baselineFloorMessages: 1 } } }),
      alert: alertConfigSchema.parse({}),
    });
    rows = result.rows;
    findings = result.findings;
    console.log(formatScanSummary(rows));
  }, 240_000);

  afterAll(async () => {
    await lab?.stop();
    await exim?.stop();
    await sshd?.stop();
    await sudo?.remove();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const row = (name: string): ScanRow => rows.find((r) => r.name === name)!;

  it("stores the MTA the probe's detection found: kind, version, binaries, log and queue paths of the instance", async () => {
    const hosts = await store.query<Record<string, unknown>>(`SELECT host_id, mta_kind, mta_version, mta_log_paths, mta_queue_path, mta_binary_paths FROM ${DB}.hosts ORDER BY host_id`);
    expect(hosts.map((h) => h.host_id)).toEqual(scanned);
    expect(hosts[0]).toMatchObject({ mta_kind: "exim", mta_version: eximVersion, mta_log_paths: [exim.logPath], mta_queue_path: exim.spoolDir, mta_binary_paths: [exim.eximPath] });
    expect(row("ex-root").mta).toBe(`exim ${eximVersion}`);
    for (const h of hosts.slice(1)) {
      expect(h).toMatchObject({ mta_kind: "postfix", mta_version: mailVersion, mta_log_paths: [lab.logPath], mta_queue_path: lab.queueDir });
      expect(h.mta_binary_paths).toEqual(expect.arrayContaining(["/usr/sbin/postqueue", "/usr/lib/postfix/sbin/smtp", "/usr/lib/postfix/sbin/master"]));
    }
    expect(mailVersion).toMatch(/^\d+\.\d+/);
    expect(row("pf-root").mta).toBe(`postfix ${mailVersion}`);
  });

  it("stores a queue snapshot with the real queue's counts and senders", async () => {
    const snaps = await store.query<Record<string, unknown>>(
      `SELECT host_id, mta, source, complete, total, by_queue_names, by_queue_counts, frozen_or_held, recipients, top_senders, top_sender_counts FROM ${DB}.queue_snapshots ORDER BY host_id`,
    );
    expect(snaps.map((s) => s.host_id)).toEqual(scanned);
    expect(snaps[0]).toMatchObject({ mta: "exim", source: "exim -bp", complete: 1, total: 5, recipients: 5, top_senders: [`alice@${exim.domain}`, `bob@${exim.domain}`], top_sender_counts: [3, 2] });
    expect(row("ex-root").queue).toBe("5 (queued 5)");
    for (const s of snaps.slice(1)) {
      expect(s).toMatchObject({ mta: "postfix", source: "postqueue -j", complete: 1, total: 5, frozen_or_held: 0, recipients: 5, top_senders: [`alice@${lab.domain}`, `bob@${lab.domain}`], top_sender_counts: [3, 2] });
      const byQueue = Object.fromEntries((s.by_queue_names as string[]).map((k, i) => [k, (s.by_queue_counts as number[])[i]]));
      expect(byQueue.deferred).toBe(5);
    }
    expect(queued).toHaveLength(5);
    expect(row("pf-root").queue).toBe("5 (deferred 5)");
  });

  it("reads the instance's own log (found by detection) into windows", async () => {
    for (const [host, logPath] of [["pf-root", lab.logPath], ["ex-root", exim.logPath]] as const) {
      expect(row(host).log).toMatch(new RegExp(`^${logPath}: [1-9]\\d* windows$`));
      const users = await store.query<Record<string, unknown>>(`SELECT DISTINCT identity FROM ${DB}.mail_windows WHERE host_id = '${host}' AND identity_kind = 'sasl_user' ORDER BY identity`);
      expect(users.map((u) => u.identity)).toEqual(["alice", "bob"]);
    }
  });

  it("runs the rules on it: queue-surge fires for the scanned host, naming the culprit first", () => {
    for (const host of [...reached, "ex-root"]) {
      const domain = host === "ex-root" ? exim.domain : lab.domain;
      const f = findings.find((x) => x.rule === "queue-surge" && x.scopeHost === host);
      expect(f, JSON.stringify(findings.map((x) => [x.rule, x.subject]))).toBeDefined();
      expect(f!.summary).toContain(`top senders alice@${domain} (3), bob@${domain} (2)`);
      expect(row(host).findings).toContain(`queue-surge ${host}`);
    }
  });

  it("as a login other than root: the probe (sent, or installed and pinned) and the log read run through sudo -n, allowed by the drop-in", () => {
    for (const host of ["pf-sudo", "pf-installed"]) {
      expect(row(host)).toMatchObject({ outcome: "reached", reason: "", target: `${sudo.allowed}@127.0.0.1:${sshd.port}`, mta: `postfix ${mailVersion}`, queue: "5 (deferred 5)" });
      expect(row(host).log).toMatch(new RegExp(`^${lab.logPath}: [1-9]\\d* windows$`));
    }
  });

  it("a login without a sudoers rule fails at once, the reason naming sudo", () => {
    const r = row("pf-nosudo");
    expect(r.outcome).toBe("failed");
    expect(r.reason).toContain(`sudo -n -- node - inspect --json --mta-env MAIL_CONFIG=${lab.configDir} exited 1: sudo: a password is required`);
    expect(r.reason).toContain(`sudo refused to run it for ${sudo.refused} without a password: allow exactly this command to ${sudo.refused} with NOPASSWD in sudoers`);
  });

  it("remediate through sudo -n: the plan reads the queue, --apply holds alice's messages, the audit rows show sudo, the undo releases", async () => {
    await writeIncidents(store, [incidentFor("pf-sudo", "alice")]);
    const target = { address: "127.0.0.1", port: sshd.port, postfixConfigDir: lab.configDir };
    const deps: RemediateDeps = {
      io: { query: (sql) => store.query(sql), insert: (table, rows) => store.insert(table, rows) },
      database: DB,
      ssh: { ...ssh, hosts: { "pf-sudo": { ...target, user: sudo.allowed } } },
      remediate: remediateConfigSchema.parse({}),
      actor: "analyst@test",
    };
    const plan = await planRemediation(deps, "inc-pf-sudo", { queueAction: "hold" });
    console.log(formatPlan(plan));
    const aliceIds = queued.filter((m) => m.sender === `alice@${lab.domain}`).map((m) => m.queueId).sort();
    expect([...plan.queueIds].sort()).toEqual(aliceIds);
    expect(plan.target).toBe(`${sudo.allowed}@127.0.0.1:${sshd.port}`);

    const { report } = await runStoredPlan(deps, "inc-pf-sudo", plan.planId, "apply");
    expect(report.failedStep).toBeUndefined();
    const printed = formatApplyReport("inc-pf-sudo", plan, report, "apply");
    console.log(printed);
    expect(printed).toMatch(new RegExp(`^apply step 2 \\(hold-queue\\): exit 0  sudo -n -- postsuper -c ${lab.configDir} -h `));
    expect(printed).toContain(`undo: spamtrace remediate inc-pf-sudo --undo ${plan.planId}   (runs: postsuper -c ${lab.configDir} -H `);
    const held = parsePostqueueJson((await run("postqueue", ["-c", lab.configDir, "-j"])).stdout);
    expect(held.filter((m) => m.queue === "hold").map((m) => m.queueId).sort()).toEqual(aliceIds);
    const audit = await store.query<Record<string, unknown>>(`SELECT kind, step, action, actor, command, exit_code, target FROM ${DB}.remediation_actions WHERE plan_id = '${plan.planId}' ORDER BY started_at_unix_ms`);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ kind: "apply", action: "hold-queue", actor: "analyst@test", exit_code: 0, target: plan.target });
    expect(String(audit[0]!.command)).toBe(`sudo -n -- postsuper -c ${lab.configDir} ${plan.queueIds.map((id) => `-h ${id}`).join(" ")}`);

    const undone = await runStoredPlan(deps, "inc-pf-sudo", plan.planId, "undo");
    expect(undone.report.actions.map((a) => [a.kind, a.exitCode, a.command.startsWith("sudo -n -- postsuper -c ")])).toEqual([["undo", 0, true]]);
    expect(parsePostqueueJson((await run("postqueue", ["-c", lab.configDir, "-j"])).stdout).every((m) => m.queue === "deferred")).toBe(true);
    console.log((await store.query<Record<string, unknown>>(`SELECT kind, step, action, actor, command, exit_code, target FROM ${DB}.remediation_actions ORDER BY started_at_unix_ms`)).map((r) => JSON.stringify(r)).join("\n"));

    const refused = { ...deps, ssh: { ...ssh, hosts: { "pf-sudo": { ...target, user: sudo.refused } } } };
    await expect(planRemediation(refused, "inc-pf-sudo", { queueAction: "hold" })).rejects.toThrow(`sudo -n -- postqueue -c ${lab.configDir} -j exited 1: sudo: a password is required — sudo refused to run it for ${sudo.refused}`);
  });
});
