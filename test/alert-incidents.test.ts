// Incident lifecycle and notifications end to end, against a real ClickHouse
// 18.16 server: two detection instances (as two collectors) share the store;
// a direct-to-MX sender is opened once, updated, escalated and resolved; a
// local webhook receiver and a real SMTP server (smtp-server on loopback)
// must each get exactly one notification per open/escalate/resolve and none
// for updates. Also measures insert-to-notification latency with the loop
// running, and the `spamtrace incidents` command on the same data.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { alertConfigSchema } from "../collector/config/collector-config.js";
import { collectorConfigSchema } from "../collector/config/collector-config.js";
import { detectConfigSchema } from "../collector/detect/detect-config.js";
import { FleetSimulator } from "../collector/detect/fleet-simulator.test-support.js";
import { startPipeline, type RunningPipeline } from "../collector/pipeline/start-pipeline.js";
import { readIncidents } from "../collector/incidents/alerts-table.js";
import { registerIncidentsCommand } from "../collector/incidents/register-incidents-command.js";
import { runSql } from "../collector/query/run-sql.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { ALERTS_MIGRATION } from "../collector/store/clickhouse/migrations-alerts.js";
import { ServerStore } from "../collector/store/clickhouse/server-store.js";
import type { ClickHouseStore } from "../collector/store/clickhouse/store.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { waitFor } from "./setup/wait-for.js";

interface Received {
  atMs: number;
  body: { event: string; incident: { id: string; rule: string; subject: string; severity: string; status: string; hosts: string[] } };
}

/** A webhook receiver on loopback; `failFirst` answers 503 to the first N requests. */
async function startWebhookReceiver(failFirst = 0): Promise<{ url: string; received: Received[]; requests: () => number; close(): Promise<void> }> {
  const received: Received[] = [];
  let requests = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      requests++;
      if (requests <= failFirst) {
        res.writeHead(503).end("try later");
        return;
      }
      received.push({ atMs: Date.now(), body: JSON.parse(body) as Received["body"] });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A real SMTP server (smtp-server) on loopback keeping every message. */
async function startSmtpSink(): Promise<{ port: number; messages: { atMs: number; raw: string; to: string[] }[]; close(): Promise<void> }> {
  const messages: { atMs: number; raw: string; to: string[] }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (c: Buffer) => (raw += c.toString()));
      stream.on("end", () => {
        messages.push({ atMs: Date.now(), raw, to: session.envelope.rcptTo.map((r) => r.address) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.server.address() as AddressInfo).port, messages, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.each([{ kind: "clickhouse-server-18.16" as const }, { kind: "embedded" as const }])("incidents and notifications across two collectors ($kind)", ({ kind }) => {
  let server: ClickHouseServer | undefined;
  let dir: string | undefined;
  let store: ClickHouseStore;
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let a: RunningPipeline;
  let b: RunningPipeline;
  let clock = Date.now();
  // One simulator for the whole story: its batch numbers continue, as one probe's would.
  let sim: FleetSimulator;
  const database = "alert_lifecycle";

  beforeAll(async () => {
    if (kind === "embedded") {
      dir = await mkdtemp(join(tmpdir(), "spamtrace-alert-"));
      store = await ChdbStore.open(join(dir, "chdb"), database);
    } else {
      server = await startClickHouseServer();
      store = await ServerStore.open({ url: server.url, username: "default", password: "", database, requestTimeoutMs: 30_000 });
    }
    await migrate(store, { database, retentionDays: 30 }, [...MIGRATIONS, ALERTS_MIGRATION]);
    webhook = await startWebhookReceiver(1);
    smtp = await startSmtpSink();
    const detect = detectConfigSchema.parse({ enabled: false, claimSettleMs: 300, quietMinutes: 2 });
    const alert = alertConfigSchema.parse({
      maxPerMinute: 5,
      retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
      webhooks: [{ name: "abuse-hook", url: webhook.url }],
      email: [{ name: "abuse-mail", host: "127.0.0.1", port: smtp.port, from: "spamtrace@collector.test", to: ["abuse@provider.test"] }],
    });
    const common = { store, detect, alert, now: () => clock };
    a = startPipeline({ ...common, collectorId: "collector-a" });
    b = startPipeline({ ...common, collectorId: "collector-b" });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await webhook?.close();
    await smtp?.close();
    await store?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const both = async () => {
    const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
    await Promise.all([a.drainNotifications(), b.drainNotifications()]);
    return [ra, rb] as const;
  };
  const events = () => webhook.received.map((r) => `${r.body.event} ${r.body.incident.severity} ${r.body.incident.subject}`);

  it("opens one incident and sends one webhook and one e-mail although both collectors detect it", async () => {
    sim = new FleetSimulator(store);
    await sim.host({ hostId: "web-1", ipAddresses: ["198.51.100.50"] });
    clock = Date.now();
    await sim.sockets("web-1", clock, [
      { direction: "outbound", remoteAddress: "192.0.2.25", remotePort: 25, pid: 1001, user: "www-data", comm: "python3", argv: ["python3", "mailer.py"], exe: "/usr/bin/python3.11", cwd: "/var/www/shop" },
    ]);
    const [ra, rb] = await both();
    expect(ra.findings.map((f) => f.subject)).toEqual(["/usr/bin/python3.11 (user www-data)"]);
    expect(rb.findings.map((f) => f.subject)).toEqual(["/usr/bin/python3.11 (user www-data)"]);
    // Racing, both may open it (then they derive the same id) or the later one may already see it open and
    // update it; either way one of them wins the notification claim.
    const opens = [...ra.track.events, ...rb.track.events].filter((e) => e.kind === "open");
    expect(opens.length).toBeGreaterThanOrEqual(1);
    expect(new Set(opens.map((e) => e.incident.id)).size).toBe(1);
    expect(ra.dispatch.claimed + rb.dispatch.claimed).toBe(1);
    expect(ra.dispatch.lost + rb.dispatch.lost).toBe(opens.length - 1);

    const incidents = await readIncidents(store, { status: "open" });
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ rule: "direct-to-mx", scope: "host", scopeHost: "web-1", severity: "high", status: "open" });
    expect(incidents[0]!.remediation.join("\n")).toContain("lsof -Pnp 1001");

    expect(events()).toEqual(["open high /usr/bin/python3.11 (user www-data)"]);
    expect(webhook.requests()).toBe(2); // the first answered 503 and was retried
    await waitFor("the e-mail", async () => (smtp.messages.length >= 1 ? true : undefined), 10_000);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.to).toEqual(["abuse@provider.test"]);
    expect(smtp.messages[0]!.raw).toMatch(/Subject: \[spamtrace\] OPENED high direct-to-mx on web-1: \/usr\/bin\/python3\.11\s+\(user\s+www-data\)/);
    expect(smtp.messages[0]!.raw).toContain("lsof -Pnp 1001");

    const notes = await store.query<{ sink: string; event: string; outcome: string; attempts: string | number }>(`SELECT sink, event, outcome, attempts FROM ${database}.alert_notifications ORDER BY sink`);
    expect(notes.map((n) => [n.sink, n.event, n.outcome, Number(n.attempts)])).toEqual([
      ["abuse-hook", "open", "sent", 2],
      ["abuse-mail", "open", "sent", 1],
    ]);
  });

  it("updates the incident with new activity and evidence without notifying", async () => {
    clock = Date.now() + 30_000;
    await sim.sockets("web-1", clock, [
      { direction: "outbound", remoteAddress: "192.0.2.99", remotePort: 25, pid: 1002, user: "www-data", comm: "python3", argv: ["python3", "mailer.py"], exe: "/usr/bin/python3.11", cwd: "/var/www/shop" },
    ]);
    const [ra, rb] = await both();
    expect(ra.track.events).toEqual([]);
    expect(rb.track.events).toEqual([]);
    const [incident] = await readIncidents(store, { status: "open" });
    expect(incident!.details.pid).toBe(1002);
    expect(incident!.details.pids).toEqual([1002, 1001]);
    expect(incident!.details.remote_addresses).toEqual(expect.arrayContaining(["192.0.2.25", "192.0.2.99"]));
    expect(incident!.evidence.rows.map((r) => r.values.pid).sort()).toEqual([1001, 1002]);
    expect(incident!.detections).toBeGreaterThanOrEqual(2);
    expect(events()).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it("escalates once when the same exe turns out deleted, and notifies the escalation once", async () => {
    clock = Date.now() + 60_000;
    await sim.sockets("web-1", clock, [
      { direction: "outbound", remoteAddress: "192.0.2.100", remotePort: 25, pid: 1003, user: "www-data", comm: "python3", argv: ["python3", "mailer.py"], exe: "/usr/bin/python3.11", exeDeleted: true, cwd: "/var/www/shop" },
    ]);
    await both();
    await both();
    const open = await readIncidents(store, { status: "open" });
    expect(open).toHaveLength(1);
    expect(open[0]!.severity).toBe("critical");
    expect(events()).toEqual(["open high /usr/bin/python3.11 (user www-data)", "escalate critical /usr/bin/python3.11 (user www-data)"]);
    await waitFor("the escalation e-mail", async () => (smtp.messages.length >= 2 ? true : undefined), 10_000);
    expect(smtp.messages).toHaveLength(2);
  });

  it("resolves after the quiet period, once, with one notification", async () => {
    clock = Date.now() + 10 * 60_000;
    await both();
    await both();
    expect(await readIncidents(store, { status: "open" })).toHaveLength(0);
    const resolved = await readIncidents(store, { status: "resolved" });
    expect(resolved).toHaveLength(1);
    expect(resolved[0]!.resolvedAtMs).toBe(clock);
    expect(events()).toEqual([
      "open high /usr/bin/python3.11 (user www-data)",
      "escalate critical /usr/bin/python3.11 (user www-data)",
      "resolve critical /usr/bin/python3.11 (user www-data)",
    ]);
    await waitFor("the resolve e-mail", async () => (smtp.messages.length >= 3 ? true : undefined), 10_000);
    expect(smtp.messages).toHaveLength(3);
    expect(smtp.messages[2]!.raw).toContain("RESOLVED");
  });

  it("a new episode of the same subject after resolution is a new incident chained to the old one", async () => {
    clock = Date.now() + 10 * 60_000;
    await sim.sockets("web-1", clock, [{ direction: "outbound", remoteAddress: "192.0.2.25", remotePort: 25, pid: 2001, user: "www-data", comm: "python3", exe: "/usr/bin/python3.11", cwd: "/var/www/shop" }]);
    await both();
    const [old] = await readIncidents(store, { status: "resolved" });
    const [fresh] = await readIncidents(store, { status: "open" });
    expect(fresh!.id).not.toBe(old!.id);
    expect(fresh!.previousIncidentId).toBe(old!.id);
    expect(events()).toHaveLength(4);
  });

  it("`spamtrace incidents --json` lists open incidents with rule, severity, hosts, subject, times, evidence and remediation", async () => {
    // Embedded mode reaches the store through the running collector's admin endpoint; here the store is queried directly.
    const config = collectorConfigSchema.parse({ store: server ? { url: server.url, database } : { database } });
    const query = server ? runSql : async (_: unknown, sql: string) => store.query(sql);
    const program = new Command("spamtrace").exitOverride();
    registerIncidentsCommand(program, { loadConfig: () => config, query });
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await program.parseAsync(["node", "spamtrace", "incidents", "--json"]);
      const list = JSON.parse(out.join("")) as Record<string, unknown>[];
      expect(list).toHaveLength(1);
      expect(Object.keys(list[0]!)).toEqual(expect.arrayContaining(["rule", "severity", "hosts", "subject", "first_seen", "last_seen", "evidence", "remediation"]));
      expect(list[0]).toMatchObject({ rule: "direct-to-mx", hosts: ["web-1"], subject: "/usr/bin/python3.11 (user www-data)", status: "open" });
      out.length = 0;
      await program.parseAsync(["node", "spamtrace", "incidents"]);
      const table = out.join("");
      expect(table).toMatch(/^ID\s+SEVERITY\s+RULE\s+STATUS\s+HOSTS\s+SUBJECT/);
      expect(table).toContain("direct-to-mx");
      expect(table).toContain("lsof -Pnp 2001");
      out.length = 0;
      await program.parseAsync(["node", "spamtrace", "incidents", "--all", "--json"]);
      expect((JSON.parse(out.join("")) as unknown[]).length).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });

  it("fleet-wide: one client IP failing, then logging in as different users on two hosts from an address new to them, is one fleet incident with one notification", async () => {
    await sim.host({ hostId: "mx-d", ipAddresses: ["198.51.100.61"] });
    await sim.host({ hostId: "mx-e", ipAddresses: ["198.51.100.62"] });
    clock = Date.now() + 10 * 60_000;
    // Failed guesses first, from an address the accounts never used before (they logged in from elsewhere yesterday).
    await sim.authWindows("mx-d", [
      { atMs: clock - 86_400_000, clientIp: "198.18.0.9", username: "u1@d.example", successes: 1, services: ["imap"] },
      { atMs: clock - 120_000, clientIp: "192.0.2.200", username: "admin@d.example", failures: 6, services: ["submission"] },
      { atMs: clock - 60_000, clientIp: "192.0.2.200", username: "u1@d.example", successes: 1, services: ["submission"] },
    ]);
    await sim.authWindows("mx-e", [{ atMs: clock - 60_000, clientIp: "192.0.2.200", username: "u2@e.example", successes: 1, services: ["imap"] }]);
    const before = smtp.messages.length;
    await both();
    await both();
    const fleet = (await readIncidents(store, { status: "open", rule: "compromised-account" })).filter((i) => i.scope === "fleet");
    expect(fleet.map((i) => [i.subject, i.hosts])).toEqual([["192.0.2.200", ["mx-d", "mx-e"]]]);
    expect(events().filter((e) => e.endsWith(" 192.0.2.200"))).toEqual(["open high 192.0.2.200"]);
    await waitFor("the fleet e-mail", async () => (smtp.messages.length > before ? true : undefined), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.messages.length - before).toBe(1);
  });
});

describe("detection latency with the loop running (clickhouse-server-18.16)", () => {
  let server: ClickHouseServer;
  let store: ServerStore;
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let detection: RunningPipeline;
  const database = "alert_latency";

  beforeAll(async () => {
    server = await startClickHouseServer();
    store = await ServerStore.open({ url: server.url, username: "default", password: "", database, requestTimeoutMs: 30_000 });
    await migrate(store, { database, retentionDays: 30 }, [...MIGRATIONS, ALERTS_MIGRATION]);
    webhook = await startWebhookReceiver();
  });
  afterAll(async () => {
    await detection?.stop();
    await webhook?.close();
    await store?.close();
    await server?.stop();
  });

  it.each([
    { intervalMs: 1_000, claimSettleMs: 300 },
    { intervalMs: 15_000, claimSettleMs: 1_500 },
  ])("insert → webhook with intervalMs $intervalMs, claimSettleMs $claimSettleMs", async ({ intervalMs, claimSettleMs }) => {
    await detection?.stop();
    detection = startPipeline({
      store,
      collectorId: "latency",
      detect: detectConfigSchema.parse({ intervalMs, claimSettleMs }),
      alert: alertConfigSchema.parse({ webhooks: [{ name: "hook", url: webhook.url }] }),
    });
    const sim = new FleetSimulator(store);
    const host = `lat-${intervalMs}`;
    await sim.host({ hostId: host, ipAddresses: [] });
    // Let the loop reach a random point of its interval, as real traffic would.
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * intervalMs)));
    const before = webhook.received.length;
    const insertedAt = Date.now();
    await sim.sockets(host, insertedAt, [{ direction: "outbound", remoteAddress: "192.0.2.25", remotePort: 25, pid: 7, user: "www-data", comm: "sendmail", exe: "/dev/shm/sendmail", cwd: "/dev/shm" }]);
    const got = await waitFor("the webhook", async () => webhook.received.slice(before).find((r) => r.body.incident.hosts.includes(host)), intervalMs * 2 + 10_000, 20);
    const latencyMs = got.atMs - insertedAt;
    console.log(`detection latency insert→webhook: ${latencyMs} ms (intervalMs ${intervalMs}, claimSettleMs ${claimSettleMs})`);
    expect(got.body).toMatchObject({ event: "open", incident: { rule: "direct-to-mx", severity: "critical", subject: "/dev/shm/sendmail (user www-data)" } });
    expect(latencyMs).toBeLessThan(intervalMs + claimSettleMs + 5_000);
  });
});
