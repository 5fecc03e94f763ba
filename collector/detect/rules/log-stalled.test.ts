// log-stalled against a real store (the embedded engine): the fleet's data is
// written the way the collector writes it (BatchWriter), then the rule's
// queries and evaluation run as one detection run would.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbStore } from "../../store/clickhouse/chdb-store.js";
import { migrate } from "../../store/clickhouse/migrate.js";
import type { Finding } from "../../vocabulary/finding.js";
import { createDetectContext } from "../detect-context.js";
import { detectConfigSchema } from "../detect-config.js";
import { buildDetectors } from "../detectors.js";
import { loadFleetHosts } from "../fleet-hosts.js";
import { FleetSimulator } from "../fleet-simulator.test-support.js";
import { remediationSteps } from "../rule-catalog.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const LOG = "/var/log/mail.log";
const SMTPD = "/usr/lib/postfix/sbin/smtpd";
const MASTER = "/usr/lib/postfix/sbin/master";

/** Each host's story, as of `now`. */
async function writeFleet(sim: FleetSimulator, now: number): Promise<void> {
  const hosts = ["stalled-in", "stalled-out", "busy-logging", "idle", "spam-script-only", "probe-down", "no-log-followed", "stalled-long-ago", "no-mta"];
  for (const [n, hostId] of hosts.entries()) await sim.host({ hostId, ipAddresses: [`198.51.100.${10 + n}`], mtaKind: hostId === "no-mta" ? "none" : "postfix" });
  const listener = { direction: "listen" as const, localAddress: "0.0.0.0", localPort: 25, remoteAddress: "0.0.0.0", remotePort: 0, exe: MASTER, comm: "master", user: "root", uid: 0 };
  const inbound = (i: number) => ({ direction: "inbound" as const, localPort: 25, remoteAddress: `203.0.113.${i}`, remotePort: 50_000 + i, exe: SMTPD, comm: "smtpd", user: "postfix" });
  const outbound = (i: number, exe: string) => ({ direction: "outbound" as const, remoteAddress: `192.0.2.${i}`, remotePort: 25, exe, comm: exe.split("/").pop()! });

  // The log grew 3 h ago, then stopped; the MTA keeps accepting connections (6 clients): fires.
  await sim.logStats("stalled-in", now - 3 * HOUR, [{ path: LOG, lines: 420 }]);
  await sim.sockets("stalled-in", now - 20 * MINUTE, [listener, inbound(1), inbound(2), inbound(3)]);
  await sim.sockets("stalled-in", now - 5 * MINUTE, [listener, inbound(4), inbound(5), inbound(6)]);
  // The log stopped 2 h ago; the MTA's own smtp client delivers out (5 connections): fires.
  await sim.logStats("stalled-out", now - 2 * HOUR, [{ path: LOG, lines: 90 }]);
  await sim.sockets("stalled-out", now - 10 * MINUTE, [listener, ...[1, 2, 3, 4, 5].map((i) => outbound(i, "/usr/lib/postfix/sbin/smtp"))]);
  // The same traffic with the log growing: silent.
  await sim.logStats("busy-logging", now - 3 * HOUR, [{ path: LOG, lines: 400 }]);
  await sim.logStats("busy-logging", now - 2 * MINUTE, [{ path: LOG, lines: 35 }]);
  await sim.sockets("busy-logging", now - 5 * MINUTE, [listener, ...[1, 2, 3, 4, 5, 6].map(inbound)]);
  // An idle MTA: listening, no connections, nothing to log: silent.
  await sim.logStats("idle", now - 5 * HOUR, [{ path: LOG, lines: 12 }]);
  await sim.sockets("idle", now - 5 * MINUTE, [listener]);
  // Outbound SMTP only by a process that is not the MTA (direct-to-mx's business; the MTA logs nothing of it): silent.
  await sim.logStats("spam-script-only", now - 3 * HOUR, [{ path: LOG, lines: 50 }]);
  await sim.sockets("spam-script-only", now - 5 * MINUTE, [listener, ...[1, 2, 3, 4, 5, 6].map((i) => outbound(i, "/tmp/.x/sendmail"))]);
  // The probe stopped: no snapshots in the lookback, whatever the MTA does: silent.
  await sim.logStats("probe-down", now - 3 * HOUR, [{ path: LOG, lines: 300 }]);
  await sim.sockets("probe-down", now - 2 * HOUR, [listener, ...[1, 2, 3, 4, 5, 6].map(inbound)]);
  // No log followed at all (no log_read_stats ever): nothing to compare with: silent.
  await sim.sockets("no-log-followed", now - 5 * MINUTE, [listener, ...[1, 2, 3, 4, 5, 6].map(inbound)]);
  // The log last grew two days ago, beyond the 24 h history: silent.
  await sim.logStats("stalled-long-ago", now - 48 * HOUR, [{ path: LOG, lines: 70 }]);
  await sim.sockets("stalled-long-ago", now - 5 * MINUTE, [listener, ...[1, 2, 3, 4, 5, 6].map(inbound)]);
  // Its Hello says there is no MTA (another program on port 25): silent.
  await sim.logStats("no-mta", now - 3 * HOUR, [{ path: "/var/log/other.log", lines: 70 }]);
  await sim.sockets("no-mta", now - 5 * MINUTE, [listener, ...[1, 2, 3, 4, 5, 6].map(inbound)]);
}

describe("log-stalled (embedded ClickHouse)", () => {
  let dir: string;
  let store: ChdbStore;
  let findings: Finding[] = [];
  const now = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-log-stalled-"));
    store = await ChdbStore.open(join(dir, "chdb"), "log_stalled");
    await migrate(store, { database: "log_stalled", retentionDays: 30 });
    await writeFleet(new FleetSimulator(store), now);
    const config = detectConfigSchema.parse({});
    const ctx = createDetectContext(store, config, await loadFleetHosts(store), now);
    for (const detector of buildDetectors(config).filter((d) => d.rule === "log-stalled")) findings.push(...(await detector.detect(ctx)));
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("fires for a host whose log stopped while its MTA accepts or delivers mail, and only for those", () => {
    expect(findings.map((f) => f.subject).sort()).toEqual(["stalled-in", "stalled-out"]);
  });

  it("names the log, how long it has been silent and the connections the MTA handled meanwhile", () => {
    const f = findings.find((x) => x.subject === "stalled-in")!;
    expect(f).toMatchObject({ rule: "log-stalled", scope: "host", scopeHost: "stalled-in", check: "silent-log", hosts: ["stalled-in"] });
    expect(f.counts).toMatchObject({ inbound_connections: 6, outbound_connections: 0, history_lines: 420 });
    expect(f.counts.silent_minutes).toBe(180);
    expect(f.details).toMatchObject({ log_paths: [LOG], listeners: [MASTER], mta: "postfix" });
    // log_read_stats keeps the batch time to the second.
    expect(Math.abs(f.firstSeenMs - (now - 3 * HOUR))).toBeLessThan(1_000);
    expect(f.lastSeenMs).toBe(now - 5 * MINUTE);
    expect(f.evidence.rows.map((r) => r.table)).toEqual(expect.arrayContaining(["log_read_stats", "socket_snapshots"]));
    expect(findings.find((x) => x.subject === "stalled-out")!.counts).toMatchObject({ inbound_connections: 0, outbound_connections: 5 });
  });

  it("tells the analyst what to check, with the host's log and MTA filled in", () => {
    const steps = remediationSteps(findings.find((x) => x.subject === "stalled-in")!, "postfix");
    expect(steps[0]).toBe(
      "Check that /var/log/mail.log on stalled-in is still written: `ls -l` it, `systemctl status rsyslog` (or journald), `df -h /var/log`, and that log rotation reopened it (the syslog daemon reloaded after rotation) [guide step 2: inspectez les journaux du MTA].",
    );
    expect(steps[1]).toContain("`postqueue -p`");
  });
});
