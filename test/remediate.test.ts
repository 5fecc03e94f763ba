// `spamtrace remediate` against real MTA queues over a real sshd: a
// compromised account (alice) and an innocent one (bob) each queue mail that
// defers (the labs' relay is a closed port). The plan, read over SSH with
// the host key pinned in known_hosts, selects exactly alice's queue ids (by
// SASL user: Postfix postcat's sasl_username, Exim's -auth_id); printing it
// changes nothing; applying it holds (Postfix postsuper -h) or freezes (Exim
// exim -Mf) those messages and writes audit rows; the undo releases them; a
// delete plan then removes alice's messages and leaves bob's.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetSimulator } from "../collector/detect/fleet-simulator.test-support.js";
import { writeIncidents } from "../collector/incidents/alerts-table.js";
import { incidentFor } from "./setup/account-incident.js";
import { postToCollector } from "../collector/admin/admin-client.js";
import { buildPlan, formatPlan } from "../collector/remediate/build-plan.js";
import { ledgerIo } from "../collector/remediate/ledger-io.js";
import { mtaCommands } from "../collector/remediate/mta-commands.js";
import { RemediationLedger } from "../collector/remediate/remediation-ledger.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import type { RemediationPlan } from "../collector/remediate/plan.js";
import { parseEximBp, parsePostqueueJson, type QueuedMessage } from "../collector/remediate/queued-message.js";
import { planRemediation, runStoredPlan, type RemediateDeps } from "../collector/remediate/remediate.js";
import { remediateConfigSchema } from "../collector/remediate/remediate-config.js";
import { sshConfigSchema } from "../collector/ssh/ssh-config.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { sendAuthenticated } from "./setup/mta/drive-traffic.js";
import { startEximLab, type EximLab } from "./setup/mta/exim-lab.js";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";
import { startTestSshd, type TestSshd } from "./setup/sshd.js";
import { waitFor } from "./setup/wait-for.js";
import { ServerStore } from "../collector/store/clickhouse/server-store.js";
import { runCliToEnd } from "./setup/cli-process.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";

interface Mta {
  kind: "postfix" | "exim";
  lab: PostfixLab | EximLab;
  submission: { host: string; port: number };
  /** The queue as the test reads it itself (not through spamtrace). */
  queue(): Promise<QueuedMessage[]>;
  /** The state of a held / frozen message in that listing. */
  held: string;
}

async function startMta(kind: "postfix" | "exim"): Promise<Mta> {
  if (kind === "postfix") {
    const lab = await startPostfixLab({ smtpHost: "127.0.0.86" });
    return { kind, lab, submission: { host: lab.smtpHost, port: lab.submissionPort }, queue: async () => parsePostqueueJson(await lab.postqueueJson()), held: "hold" };
  }
  const lab = await startEximLab({ smtpHost: "127.0.0.87" });
  return { kind, lab, submission: { host: lab.smtpHost, port: lab.smtpPort }, queue: async () => parseEximBp(await lab.queueListing()), held: "frozen" };
}

describe.each(["postfix", "exim"] as const)("spamtrace remediate on a real %s queue over SSH", (kind) => {
  let mta: Mta;
  let sshd: TestSshd;
  let dir: string;
  let store: ChdbStore;
  let deps: RemediateDeps;
  const database = `remediate_${kind}`;
  const hostId = `${kind}-host`;
  const incidentId = `inc-${hostId}`;
  let aliceIds: string[] = [];
  let bobIds: string[] = [];
  let holdPlan: RemediationPlan;
  let queueBeforePlan: QueuedMessage[];
  let queueAfterPlan: QueuedMessage[];

  beforeAll(async () => {
    [mta, sshd] = await Promise.all([startMta(kind), startTestSshd()]);
    dir = await mkdtemp(join(tmpdir(), "spamtrace-remediate-"));
    store = await ChdbStore.open(join(dir, "chdb"), database);
    await migrate(store, { database, retentionDays: 30 });
    await new FleetSimulator(store).host({ hostId, mtaKind: kind });
    await writeIncidents(store, [incidentFor(hostId, "alice")]);

    const [alice, bob] = mta.lab.users;
    const send = (u: { name: string; password: string }, i: number) =>
      sendAuthenticated({ ...mta.submission, user: u.name, password: u.password, from: `${u.name}@${mta.lab.domain}`, to: [`victim${i}@example.net`], subject: `${u.name} ${i}` });
    for (const i of [1, 2, 3]) await send(alice!, i);
    for (const i of [1, 2]) await send(bob!, i);
    // Wait until every message left the active queue (deferred: the relay is a closed port).
    queueBeforePlan = await waitFor(
      "five queued messages, delivery attempted",
      async () => {
        const q = await mta.queue();
        return q.length === 5 && q.every((m) => m.queue !== "active" && m.queue !== "incoming") ? q : undefined;
      },
      60_000,
    );
    aliceIds = queueBeforePlan.filter((m) => m.sender === `alice@${mta.lab.domain}`).map((m) => m.queueId).sort();
    bobIds = queueBeforePlan.filter((m) => m.sender === `bob@${mta.lab.domain}`).map((m) => m.queueId).sort();

    deps = {
      io: { query: (sql) => store.query(sql), insert: (table, rows) => store.insert(table, rows) },
      database,
      ssh: sshConfigSchema.parse({
        user: sshd.user,
        privateKeyFile: sshd.clientKeyFile,
        knownHostsFile: sshd.knownHostsFile,
        timeoutMs: 10_000,
        hosts: { [hostId]: { address: sshd.host, port: sshd.port, ...(kind === "postfix" ? { postfixConfigDir: (mta.lab as PostfixLab).configDir } : { eximBinary: (mta.lab as EximLab).eximPath }) } },
      }),
      remediate: remediateConfigSchema.parse({}),
      actor: "analyst@test",
    };
    holdPlan = await planRemediation(deps, incidentId, { queueAction: "hold" });
    queueAfterPlan = await mta.queue();
  }, 240_000);

  afterAll(async () => {
    await mta?.lab.stop();
    await sshd?.stop();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("selects exactly the culprit's queued messages, by SASL user", () => {
    expect(aliceIds).toHaveLength(3);
    expect(bobIds).toHaveLength(2);
    expect([...holdPlan.queueIds].sort()).toEqual(aliceIds);
    expect(holdPlan.otherQueued).toBe(2);
    expect(holdPlan).toMatchObject({ incidentId, hostId, mta: kind, target: `root@127.0.0.1:${sshd.port}`, createdBy: "analyst@test", culprit: { saslUser: "alice" } });
  });

  it("prints numbered exact commands, the panel's account lock printed only", () => {
    const [lock, hold] = holdPlan.steps;
    expect(lock).toMatchObject({ n: 1, action: "lock-account", runs: false });
    const ids = [...holdPlan.queueIds];
    if (kind === "postfix") {
      const c = ["-c", (mta.lab as PostfixLab).configDir];
      expect(hold).toMatchObject({ n: 2, action: "hold-queue", runs: true, argv: ["postsuper", ...c, ...ids.flatMap((id) => ["-h", id])], undo: ["postsuper", ...c, ...ids.flatMap((id) => ["-H", id])] });
    } else {
      const exim = (mta.lab as EximLab).eximPath;
      expect(hold).toMatchObject({ n: 2, action: "hold-queue", runs: true, argv: [exim, "-Mf", ...ids], undo: [exim, "-Mt", ...ids] });
    }
    const text = formatPlan(holdPlan);
    expect(text).toContain(`Plan ${holdPlan.planId} for incident ${incidentId} (compromised-account) on ${hostId} (${kind})`);
    expect(text).toContain("1. Change alice's password");
    expect(text).toContain("   (printed, not run) plesk bin mail --update 'alice@<domain>' -passwd '<new password>'");
    expect(text).toContain(`\n2. ${kind === "exim" ? "Freeze" : "Hold"} 3 queued messages of SASL user alice`);
    expect(text).toContain(`Nothing has run. To run exactly these commands: spamtrace remediate ${incidentId} --apply ${holdPlan.planId}`);
  });

  it("changes nothing while printing the plan (dry run)", async () => {
    expect(queueAfterPlan).toEqual(queueBeforePlan);
    expect(queueAfterPlan.some((m) => m.queue === mta.held)).toBe(false);
    const actions = await store.query(`SELECT count() AS n FROM ${database}.remediation_actions`);
    expect(Number(actions[0]?.n)).toBe(0);
  });

  it("--apply holds the culprit's messages only, records the action, and the undo releases them", async () => {
    const { report } = await runStoredPlan(deps, incidentId, holdPlan.planId, "apply");
    expect(report.failedStep).toBeUndefined();
    const queue = await mta.queue();
    expect(queue.filter((m) => m.queue === mta.held).map((m) => m.queueId).sort()).toEqual(aliceIds);
    expect(queue.filter((m) => bobIds.includes(m.queueId)).every((m) => m.queue !== mta.held)).toBe(true);

    const rows = await store.query<Record<string, unknown>>(`SELECT kind, step, action, actor, command, exit_code, target FROM ${database}.remediation_actions WHERE plan_id = '${holdPlan.planId}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "apply", step: 2, action: "hold-queue", actor: "analyst@test", exit_code: 0, target: `root@127.0.0.1:${sshd.port}` });
    expect(String(rows[0]!.command)).toBe(holdPlan.steps[1]!.argv.join(" "));
    expect(report.undo).toEqual([holdPlan.steps[1]!.undo]);

    const undone = await runStoredPlan(deps, incidentId, holdPlan.planId, "undo");
    expect(undone.report.actions.map((a) => [a.kind, a.step, a.exitCode])).toEqual([["undo", 2, 0]]);
    expect((await mta.queue()).some((m) => m.queue === mta.held)).toBe(false);
    expect((await mta.queue()).map((m) => m.queueId).sort()).toEqual([...aliceIds, ...bobIds].sort());
  });

  it("a delete plan removes the culprit's messages and leaves the other sender's", async () => {
    const plan = await planRemediation(deps, incidentId, { queueAction: "delete" });
    expect(plan.steps.map((s) => s.action)).toEqual(["lock-account", "delete-queue"]);
    expect(plan.steps[1]!.undo).toBeUndefined();
    const { report } = await runStoredPlan(deps, incidentId, plan.planId, "apply");
    expect(report.actions.map((a) => a.exitCode)).toEqual([0]);
    expect(report.undo).toEqual([]);
    const left = await waitFor("alice's messages gone", async () => {
      const q = await mta.queue();
      return q.length === 2 ? q : undefined;
    });
    expect(left.map((m) => m.queueId).sort()).toEqual(bobIds);
    const audit = await store.query<Record<string, unknown>>(`SELECT kind, action, exit_code FROM ${database}.remediation_actions ORDER BY started_at_unix_ms`);
    expect(audit.map((r) => [r.kind, r.action, r.exit_code])).toEqual([
      ["apply", "hold-queue", 0],
      ["undo", "hold-queue", 0],
      ["apply", "delete-queue", 0],
    ]);
  });

  it("as a command against a ClickHouse 18.16 server: prints the plan, --apply holds bob's messages, audit rows stored", async () => {
    let server: ClickHouseServer | undefined;
    let serverStore: ServerStore | undefined;
    try {
      server = await startClickHouseServer();
      const db = `remediate_cli_${kind}`;
      serverStore = await ServerStore.open({ url: server.url, username: "default", password: "", database: db, requestTimeoutMs: 30_000 });
      await migrate(serverStore, { database: db, retentionDays: 30 });
      await new FleetSimulator(serverStore).host({ hostId, mtaKind: kind });
      await writeIncidents(serverStore, [{ ...incidentFor(hostId, "bob"), id: "inc-bob" }]);
      const { writeFile } = await import("node:fs/promises");
      const configFile = join(dir, "collector.json");
      await writeFile(configFile, JSON.stringify({ store: { url: server.url, database: db }, ssh: deps.ssh }));
      const printed = await runCliToEnd("spamtrace", ["remediate", "inc-bob", "--config", configFile], { cwd: dir });
      expect(printed.stderr).toBe("");
      expect(printed.code).toBe(0);
      const planId = /^Plan ([0-9a-f]{12}) for incident inc-bob \(compromised-account\)/.exec(printed.stdout)?.[1];
      expect(planId, printed.stdout).toBeDefined();
      expect(printed.stdout).toContain("Queue: 2 messages of the culprit, 0 others left alone");
      expect((await mta.queue()).some((m) => m.queue === mta.held)).toBe(false);

      const applied = await runCliToEnd("spamtrace", ["remediate", "inc-bob", "--config", configFile, "--apply", planId!], { cwd: dir });
      expect(applied.code).toBe(0);
      expect(applied.stdout).toMatch(/^apply step 2 \(hold-queue\): exit 0  /);
      expect(applied.stdout).toContain(`undo: spamtrace remediate inc-bob --undo ${planId}`);
      expect(applied.stdout).toContain("still to do by hand (step 1): Change bob's password");
      expect((await mta.queue()).filter((m) => m.queue === mta.held).map((m) => m.queueId).sort()).toEqual(bobIds);
      const rows = await serverStore.query<Record<string, unknown>>(`SELECT kind, action, exit_code FROM ${db}.remediation_actions WHERE plan_id = '${planId}'`);
      expect(rows.map((r) => [r.kind, r.action, Number(r.exit_code)])).toEqual([["apply", "hold-queue", 0]]);

      const refused = await runCliToEnd("spamtrace", ["remediate", "inc-alice-none", "--config", configFile, "--apply", planId!], { cwd: dir });
      expect([refused.code, refused.stderr]).toEqual([2, `spamtrace remediate: plan ${planId} belongs to incident inc-bob, not inc-alice-none\n`]);
    } finally {
      await serverStore?.close();
      await server?.stop();
    }
  });

  it("refuses a plan id of another incident, and a host key that changed", async () => {
    await expect(runStoredPlan(deps, "inc-other", holdPlan.planId, "apply")).rejects.toThrow(`plan ${holdPlan.planId} belongs to incident ${incidentId}, not inc-other`);
    const { writeFile } = await import("node:fs/promises");
    const wrongKnownHosts = join(dir, "known_hosts");
    await writeFile(wrongKnownHosts, `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake\n`);
    const changed = { ...deps, ssh: { ...deps.ssh, knownHostsFile: wrongKnownHosts } };
    await expect(planRemediation(changed, incidentId, { queueAction: "hold" })).rejects.toThrow(
      `host key of [127.0.0.1]:${sshd.port} refused: it does not match the key recorded in ${wrongKnownHosts} (line 1): the host was reinstalled or someone is in the middle; check before updating known_hosts`,
    );
  });
});

// In embedded mode the engine's folder belongs to `spamtrace serve`: the
// command stores its plans and audit rows through the collector's admin
// endpoint (/api/remediation, these two tables and their exact columns only)
// and reads them back through /api/sql.
describe("remediation ledger through a running collector (embedded store)", () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await makeLab({ store: "embedded", probeHostIds: [], ports: [25] });
    await lab.startCollector();
  }, 120_000);
  afterAll(async () => {
    await lab?.close();
  });

  it("stores a plan and an audit row, reads them back, and refuses anything else", async () => {
    const { io, close } = await ledgerIo(lab.collectorConfig);
    try {
      const ledger = new RemediationLedger(io, lab.database);
      const plan = buildPlan({ incident: incidentFor("web1", "carol"), hostId: "web1", mtaKind: "postfix", mta: mtaCommands("postfix"), queue: [{ queueId: "ABC123", queue: "deferred", sender: "carol@x.test", saslUser: "carol" }], queueAction: "hold", evidenceDir: "/var/lib/spamtrace/evidence", target: "root@web1:22", createdBy: "analyst@test", nowMs: Date.now() });
      await ledger.savePlan(plan);
      expect(await ledger.loadPlan(plan.planId)).toEqual(plan);
      const action = { planId: plan.planId, incidentId: plan.incidentId, hostId: "web1", target: plan.target, kind: "apply" as const, step: 2, action: "hold-queue" as const, actor: "analyst@test", command: "postsuper -h ABC123", exitCode: 0, stdout: "", stderr: "postsuper: Placed on hold: 1 message\n", startedAtMs: Date.now(), durationMs: 12 };
      await ledger.record([action]);
      expect(await ledger.actions(plan.planId)).toEqual([action]);
      await expect(io.insert("remediation_actions", [{ plan_id: "x", shell: "rm -rf /" }])).rejects.toThrow("rows[0] of remediation_actions: unknown columns shell; missing columns incident_id");
      await expect(postToCollector(lab.collectorConfig, "/api/remediation", { table: "alerts", rows: [{}] })).rejects.toThrow("table must be remediation_plans or remediation_actions");
    } finally {
      await close();
    }
  });
});
