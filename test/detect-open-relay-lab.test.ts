// Open relay judged by destination and permission, on a real Postfix
// (test/setup/mta/postfix-lab.ts). The probe's own reader takes the relay
// policy from the lab's configuration (postconf with MAIL_CONFIG), the
// probe's RelayPolicyTracker builds the message a batch carries, the lab's
// log goes through the shared parsers and the window aggregator with that
// policy, and the collector's detectors run on the stored rows.
//  - closed config, an application server in mynetworks relaying order mail
//    → silent (the old delivery-agent rule reported it: printed as "before")
//  - a check_client_access cidr table letting 0.0.0.0/0 relay, an outside
//    client relaying while the next hop is dead → open-relay names the host
//    and the client, counted by destination whatever the agent; the config
//    check names smtpd_relay_restrictions in main.cf. (The lab's dead next
//    hop never got Postfix to mark it dead and switch to its `error` agent:
//    14 refused or dropped connections stayed with smtp. The error-agent
//    lines are covered in shared/mta/aggregate/relay-counter.test.ts.)
//  - mynetworks = 0.0.0.0/0 → the config check names mynetworks
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDetectContext } from "../collector/detect/detect-context.js";
import { detectConfigSchema } from "../collector/detect/detect-config.js";
import { buildDetectors } from "../collector/detect/detectors.js";
import { loadFleetHosts } from "../collector/detect/fleet-hosts.js";
import { FleetSimulator } from "../collector/detect/fleet-simulator.test-support.js";
import { evaluateOpenRelay } from "../collector/detect/rules/open-relay.js";
import { windowTotals } from "../collector/detect/window-totals.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { ALERTS_MIGRATION } from "../collector/store/clickhouse/migrations-alerts.js";
import type { Finding } from "../collector/vocabulary/finding.js";
import { HostFiles } from "../probe/collect/mta/host-files.js";
import { readRelayPolicy } from "../probe/collect/mta/relay/read-relay-policy.js";
import { runCommand, withCommandEnv } from "../probe/collect/run-command.js";
import { RelayPolicyTracker } from "../probe/pipeline/relay-policy-tracker.js";
import { moduleLogger } from "../shared/log/logger.js";
import type { RelayPolicy } from "../shared/mta/relay/relay-policy.js";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";
import { APP_SERVER, CLOSED_RELAY_RESTRICTIONS, openRelayRestrictions, RELAY_ABUSER, permittedAppServer, relayAbuse, writeOpenClientTable } from "./setup/scenarios/open-relay.js";

describe("open relay by destination and permission on a real Postfix (embedded store)", () => {
  let lab: PostfixLab;
  let store: ChdbStore;
  let dir: string;
  const findings: Finding[] = [];
  const before: Record<string, string[]> = {};
  const policies: Record<string, RelayPolicy> = {};
  const errorAgentLines: string[] = [];

  beforeAll(async () => {
    lab = await startPostfixLab({ labDir: "/var/lib/spamtrace-test/postfix-lab-relay", smtpHost: "127.0.0.56", mynetworks: `127.0.0.1/32 127.0.0.56/32 ${APP_SERVER}/32` });
    dir = await mkdtemp(join(tmpdir(), "spamtrace-relay-lab-"));
    const database = "relay_lab";
    store = await ChdbStore.open(join(dir, "chdb"), database);
    await migrate(store, { database, retentionDays: 30 }, [...MIGRATIONS, ALERTS_MIGRATION]);
    const sim = new FleetSimulator(store);
    const run = withCommandEnv(runCommand, { MAIL_CONFIG: lab.configDir });
    const read = async () => readRelayPolicy({ kind: "postfix", binaryPaths: [] }, new HostFiles(), run, 20_000, []);
    const offset = async () => (await stat(lab.logPath)).size;

    /** One host of the test: the policy the probe reads now, sent as its tracker would, and the lines with that policy's judge. */
    const host = async (hostId: string, lines: () => Promise<string[]>) => {
      await sim.host({ hostId, ipAddresses: [] });
      const tracker = new RelayPolicyTracker(read, moduleLogger("test"));
      await tracker.refresh();
      const message = tracker.take();
      if (message === undefined) throw new Error("no relay policy read from the lab's Postfix");
      policies[hostId] = (await read())!;
      await sim.relayPolicy(hostId, message);
      const logged = await lines();
      await sim.logLines(hostId, logged, Date.now(), tracker.currentJudge());
      // What the old rule (sampled delivery lines, no policy) made of the same traffic.
      await sim.host({ hostId: `${hostId}-before`, ipAddresses: [] });
      await sim.logLines(`${hostId}-before`, logged);
      return logged;
    };

    // Closed relay; the app server in mynetworks relays order mail.
    await host("lab-app", async () => permittedAppServer(lab, await offset()));

    // A client access table letting every client relay; an outside client relays while the next hop is dead.
    await writeOpenClientTable(lab.configDir);
    await lab.configure(openRelayRestrictions(lab.configDir));
    const relayed = await host("lab-open", async () => relayAbuse(lab, await offset()));
    errorAgentLines.push(...relayed.filter((l) => /postfix\/(error|retry)\[\d+\]: \w+: to=</.test(l)));
    await lab.configure(CLOSED_RELAY_RESTRICTIONS);

    // mynetworks covering the Internet: read only (no traffic needed for the config check).
    await lab.setOpenRelay(true);
    await host("lab-wide", async () => []);
    await lab.setOpenRelay(false);
    await host("lab-closed", async () => []);

    const config = detectConfigSchema.parse({ trustedNetworks: ["127.0.0.1/32", `${lab.smtpHost}/32`] });
    const ctx = createDetectContext(store, config, await loadFleetHosts(store), Date.now());
    // The "-before" hosts carry no policy: their findings are the old rule's, kept apart.
    for (const detector of buildDetectors(config)) findings.push(...(await detector.detect(ctx)).filter((f) => !f.scopeHost.endsWith("-before")));
    for (const hostId of ["lab-app", "lab-open"]) {
      const totals = await windowTotals(ctx, { kinds: ["client_ip"], fromMs: Date.now() - 600_000, hosts: [`${hostId}-before`], filter: { deliveries: 1 } });
      before[hostId] = evaluateOpenRelay(totals, config.rules.openRelay, ctx.isFleetAddress).flatMap((f) => f.details.clients as string[]);
    }
    console.log(`Postfix error/retry agent lines in the relayed traffic: ${errorAgentLines.length}`);
    console.log(`open-relay before/after on the same traffic: ${JSON.stringify({ before, after: Object.fromEntries(findings.filter((f) => f.rule === "open-relay").map((f) => [`${f.subject} (${f.check})`, f.check === "passive" ? f.details.clients : f.details.settings])) })}`);
  }, 300_000);

  afterAll(async () => {
    await lab?.stop();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reads the lab's served domains and permitted networks from its own postconf", () => {
    const p = policies["lab-closed"]!;
    expect(p.mta).toBe("postfix");
    expect(p.servedDomains).toEqual(expect.arrayContaining([lab.domain, "localhost"]));
    expect(p.permittedNetworks).toEqual(expect.arrayContaining(["127.0.0.1/32", `${APP_SERVER}/32`]));
    expect(p.findings).toEqual([]);
    expect(p.unreadableSources).toEqual([]);
  });

  it("an outside client relaying through a check_client_access table that lets every client through is named, counted on every line", () => {
    const passive = findings.filter((f) => f.rule === "open-relay" && f.check === "passive");
    expect(passive.map((f) => f.subject)).toEqual(["lab-open"]);
    expect(passive[0]!.details.clients).toEqual([RELAY_ABUSER]);
    expect(passive[0]!.counts.relayed_messages).toBe(12);
    expect(passive[0]!.details.judged_by).toEqual(["destination"]);
  });

  it("the application server that mynetworks permits is not an open relay (the old rule named it)", () => {
    expect(findings.filter((f) => f.hosts.includes("lab-app"))).toEqual([]);
    expect(before["lab-app"]).toEqual([APP_SERVER]);
  });

  it("the configuration check names the setting and its file at once, and stays silent on the closed config", () => {
    const config = findings.filter((f) => f.rule === "open-relay" && f.check === "config");
    const bySubject = Object.fromEntries(config.map((f) => [f.subject, { settings: f.details.settings, files: f.details.files }]));
    expect(bySubject).toEqual({
      "lab-open": { settings: ["smtpd_relay_restrictions"], files: [`${lab.configDir}/main.cf`] },
      "lab-wide": { settings: ["mynetworks"], files: [`${lab.configDir}/main.cf`] },
    });
  });
});
