// Detection on a real Postfix (test/setup/mta/postfix-lab.ts): real SMTP
// dialogues (swaks) produce the lab's log; its lines go through the shared
// parsers and per-minute aggregation into ClickHouse as a probe would send
// them, and the detectors must name the culprit — or stay silent.
//  - closed relay: relay attempts refused, inbound mail delivered locally, a
//    user sending a few messages → silent
//  - the same server switched to mynetworks = 0.0.0.0/0 relays for an
//    outside client → open-relay names the host and the client
//  - forged outside senders to unknown local users → bounces to outsiders
//    → backscatter; a SASL account blasting many domains from several client
//    IPs → compromised-account naming the account
import { readFile } from "node:fs/promises";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDetectContext } from "../collector/detect/detect-context.js";
import { detectConfigSchema } from "../collector/detect/detect-config.js";
import { buildDetectors } from "../collector/detect/detectors.js";
import type { Finding } from "../collector/vocabulary/finding.js";
import { loadFleetHosts } from "../collector/detect/fleet-hosts.js";
import { FleetSimulator } from "../collector/detect/fleet-simulator.test-support.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { ALERTS_MIGRATION } from "../collector/store/clickhouse/migrations-alerts.js";
import { attemptRelay, sendAuthenticated, swaks } from "./setup/mta/drive-traffic.js";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";
import { waitFor } from "./setup/wait-for.js";

describe("detection on a real Postfix lab (embedded store)", () => {
  let lab: PostfixLab;
  let store: ChdbStore;
  let dir: string;
  const findings: Finding[] = [];
  const sent = { relayAttempts: 0 };

  /** Log lines written since `offset`, and the new offset. */
  const logSince = async (offset: number): Promise<{ lines: string[]; offset: number }> => {
    const text = await readFile(lab.logPath, "utf8");
    return { lines: text.slice(offset).split("\n").filter(Boolean), offset: text.length };
  };
  const logCount = async (from: number, pattern: RegExp): Promise<number> => (await logSince(from)).lines.filter((l) => pattern.test(l)).length;

  beforeAll(async () => {
    // A lab folder and address of its own: other suites may run their Postfix lab at the same time.
    lab = await startPostfixLab({ labDir: "/var/lib/spamtrace-test/postfix-lab-detect", smtpHost: "127.0.0.36" });
    dir = await mkdtemp(join(tmpdir(), "spamtrace-detect-lab-"));
    const database = "detect_lab";
    store = await ChdbStore.open(join(dir, "chdb"), database);
    await migrate(store, { database, retentionDays: 30 }, [...MIGRATIONS, ALERTS_MIGRATION]);
    const sim = new FleetSimulator(store);
    for (const hostId of ["lab-closed", "lab-open", "lab-bounce", "lab-spam"]) await sim.host({ hostId, ipAddresses: [] });
    const smtp = { host: lab.smtpHost, port: lab.smtpPort };
    const submission = { host: lab.smtpHost, port: lab.submissionPort };

    // Phase 1, closed relay.
    let offset = (await logSince(0)).offset;
    const phase1 = offset;
    for (let i = 0; i < 3; i++) {
      const r = await attemptRelay({ ...smtp, localInterface: "127.0.0.77", from: "spammer@forged.example", to: `victim${i}@outside${i}.example` });
      expect(r.lastReply).toMatch(/Relay access denied/);
      sent.relayAttempts++;
    }
    for (let i = 0; i < 3; i++) await swaks({ ...smtp, localInterface: "127.0.0.78" }, { from: "news@list.example", to: [`${lab.webUser}@${lab.domain}`] });
    for (let i = 0; i < 5; i++) await sendAuthenticated({ ...submission, localInterface: "127.0.0.45", user: "bob", password: "bob-pass", from: `bob@${lab.domain}`, to: [`friend${i}@friends.example`] });
    await waitFor("phase 1 deliveries", async () => ((await logCount(phase1, /status=(sent|deferred)/)) >= 8 ? true : undefined), 30_000);
    ({ offset } = await logSince(phase1));
    await sim.logLines("lab-closed", (await logSince(phase1)).lines);

    // Phase 2, the same server as an open relay.
    await lab.setOpenRelay(true);
    const phase2 = (await logSince(0)).offset;
    for (let i = 0; i < 3; i++) {
      const r = await attemptRelay({ ...smtp, localInterface: "127.0.0.77", from: "spammer@forged.example", to: `victim${i}@outside${i}.example` });
      expect(r.exitCode).toBe(0);
    }
    await waitFor("relayed mail deferred", async () => ((await logCount(phase2, /postfix\/smtp\[.*status=deferred/)) >= 3 ? true : undefined), 30_000);
    await sim.logLines("lab-open", (await logSince(phase2)).lines);
    await lab.setOpenRelay(false);

    // Phase 3, backscatter: spam from forged outside senders to unknown local users, accepted then bounced.
    const phase3 = (await logSince(0)).offset;
    for (let i = 0; i < 12; i++) await swaks({ ...smtp, localInterface: "127.0.0.79" }, { from: `forged${i}@victim${i % 4}.example`, to: [`nosuchuser${i}@${lab.domain}`] });
    await waitFor("bounces to the forged senders deferred", async () => ((await logCount(phase3, /postfix\/smtp\[.*to=<forged.*status=deferred/)) >= 12 ? true : undefined), 60_000);
    await sim.logLines("lab-bounce", (await logSince(phase3)).lines);

    // Phase 4, a compromised account: many domains from four client IPs.
    const phase4 = (await logSince(0)).offset;
    const clients = ["127.0.0.41", "127.0.0.42", "127.0.0.43", "127.0.0.44"];
    for (let i = 0; i < 24; i++) {
      await sendAuthenticated({ ...submission, localInterface: clients[i % 4], user: "alice", password: "alice-pass", from: "ceo@bank.example", to: [`target${i}@domain${i}.example`] });
    }
    await waitFor("the account's mail deferred", async () => ((await logCount(phase4, /status=deferred/)) >= 24 ? true : undefined), 60_000);
    await sim.logLines("lab-spam", (await logSince(phase4)).lines);

    // The lab trusts 127.0.0.1 and its own address (mynetworks): only those are "the host itself" here.
    const config = detectConfigSchema.parse({
      trustedNetworks: ["127.0.0.1/32", `${lab.smtpHost}/32`],
      rules: { compromisedAccount: { minMessages: 20, baselineFloorMessages: 4 }, backscatter: { minBounces: 10, baselineFloorBounces: 2 } },
    });
    const ctx = createDetectContext(store, config, await loadFleetHosts(store), Date.now());
    for (const detector of buildDetectors(config)) findings.push(...(await detector.detect(ctx)));
  }, 300_000);

  afterAll(async () => {
    await lab?.stop();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the closed relay is silent: refused relay attempts, inbound local mail and a normal user raise nothing", () => {
    expect(findings.filter((f) => f.hosts.includes("lab-closed"))).toEqual([]);
  });

  it("the open relay is named with its outside client and the remote deliveries", () => {
    const relay = findings.filter((f) => f.rule === "open-relay");
    expect(relay.map((f) => f.subject)).toEqual(["lab-open"]);
    expect(relay[0]!.details.clients).toEqual(["127.0.0.77"]);
    expect(relay[0]!.counts.relayed_messages).toBe(3);
    expect(relay[0]!.evidence.sample_lines.some((l) => /postfix\/smtp\[\d+\]: \w+: to=<victim\d@outside\d\.example>.*status=deferred/.test(l))).toBe(true);
  });

  it("backscatter: bounces of forged outside senders are named", () => {
    const bs = findings.filter((f) => f.rule === "backscatter");
    expect(bs.map((f) => f.subject)).toEqual(["lab-bounce"]);
    expect(bs[0]!.counts.bounces).toBe(12);
    expect(bs[0]!.details.top_bounce_domains).toEqual(expect.arrayContaining(["victim0.example"]));
  });

  it("compromised-account: the SASL account blasting many domains from four client IPs is named", () => {
    const ca = findings.filter((f) => f.rule === "compromised-account");
    expect(ca.map((f) => [f.subject, f.hosts])).toEqual([["alice", ["lab-spam"]]]);
    expect(ca[0]!.counts.messages).toBe(24);
    expect(ca[0]!.counts.client_ips).toBe(4);
  });

  it("nothing else fires", () => {
    expect(findings.map((f) => `${f.rule} ${f.subject}`).sort()).toEqual(["backscatter lab-bounce", "compromised-account alice", "open-relay lab-open"]);
  });
});
