// DNSBL checks end to end: the fleet's outbound addresses (hosts' Hello
// addresses and the source addresses of outbound port-25 sockets, IPv4 and
// IPv6) asked of a DNS server of the test's own on loopback, through the
// configured resolver (node:dns Resolver + setServers). One address is listed
// (127.0.0.2), one draws Spamhaus's "public resolver refused" error
// (127.255.255.254), one is never answered (resolver timeout), the others are
// NXDOMAIN. The answers are stored in dnsbl_checks and the detection run
// raises exactly one `blacklisted` incident — on the embedded engine and on
// a ClickHouse 18.16 server.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertConfigSchema } from "../collector/config/collector-config.js";
import { detectConfigSchema } from "../collector/detect/detect-config.js";
import { FleetSimulator } from "../collector/detect/fleet-simulator.test-support.js";
import { dnsblConfigSchema } from "../collector/dnsbl/dnsbl-config.js";
import { EXIT_LISTED } from "../collector/dnsbl/register-dnsbl-command.js";
import { DnsblLookup } from "../collector/dnsbl/dnsbl-lookup.js";
import { runDnsblCheck, type DnsblRunReport } from "../collector/dnsbl/run-dnsbl-check.js";
import { startDnsblChecker } from "../collector/dnsbl/scheduled-dnsbl-check.js";
import { readIncidents } from "../collector/incidents/alerts-table.js";
import { startPipeline, type PipelineRunReport } from "../collector/pipeline/start-pipeline.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { ServerStore } from "../collector/store/clickhouse/server-store.js";
import type { ClickHouseStore } from "../collector/store/clickhouse/store.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { runCliToEnd } from "./setup/cli-process.js";
import { startDnsServer, type TestDnsServer } from "./setup/dns-server.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

const ZONE = "zen.spamhaus.org";
const LISTED = "192.0.2.10";
const REFUSED = "192.0.2.30";
const SILENT = "192.0.2.40";
const CLEAN_V4 = "192.0.2.20";
const CLEAN_V6 = "2001:db8::20";
/** The IPv6 source address of an outbound port-25 socket (not in any Hello). */
const SOCKET_V6 = "2001:db8:0:1::25";
const SOCKET_V6_NAME = `5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.${ZONE}`;

describe.each(["embedded", "server"] as const)("DNSBL checks and the blacklisted rule (%s store)", (kind) => {
  let server: ClickHouseServer | undefined;
  let dir: string | undefined;
  let store: ClickHouseStore;
  let dns: TestDnsServer;
  let first: DnsblRunReport;
  let second: DnsblRunReport;
  let run: PipelineRunReport;
  let firstRunMs = 0;
  const database = `dnsbl_${kind}`;

  beforeAll(async () => {
    dns = await startDnsServer({
      [`10.2.0.192.${ZONE}`]: { a: ["127.0.0.2"], txt: ["https://check.spamhaus.org/query/ip/192.0.2.10"], ttl: 600 },
      [`30.2.0.192.${ZONE}`]: { a: ["127.255.255.254"], ttl: 600 },
      [`40.2.0.192.${ZONE}`]: { drop: true },
    });
    if (kind === "embedded") {
      dir = await mkdtemp(join(tmpdir(), "spamtrace-dnsbl-"));
      store = await ChdbStore.open(join(dir, "chdb"), database);
    } else {
      server = await startClickHouseServer();
      store = await ServerStore.open({ url: server.url, username: "default", password: "", database, requestTimeoutMs: 30_000 });
    }
    await migrate(store, { database, retentionDays: 30 });
    const sim = new FleetSimulator(store);
    const now = Date.now();
    await sim.host({ hostId: "mx-listed", ipAddresses: [`${LISTED}/24`, "10.0.0.5/8"] });
    await sim.host({ hostId: "mx-clean", ipAddresses: [CLEAN_V4, `${CLEAN_V6}/64`, "fe80::1/64", "127.0.0.1/8"] });
    await sim.host({ hostId: "mx-refused", ipAddresses: [REFUSED] });
    await sim.host({ hostId: "mx-silent", ipAddresses: [SILENT] });
    await sim.sockets("mx-clean", now - 60_000, [{ direction: "outbound", localAddress: SOCKET_V6, localPort: 40_000, remoteAddress: "2001:db8:ffff::25", remotePort: 25, exe: "/usr/lib/postfix/sbin/smtp", comm: "smtp" }]);

    const config = dnsblConfigSchema.parse({ zones: [ZONE], servers: [dns.server], timeoutMs: 400, tries: 1 });
    const lookup = new DnsblLookup(config);
    const started = Date.now();
    first = await runDnsblCheck({ store, config, lookup, collectorId: "c1", trigger: "command" });
    firstRunMs = Date.now() - started;
    second = await runDnsblCheck({ store, config, lookup, collectorId: "c1", trigger: "schedule" });

    const pipeline = startPipeline({ store, collectorId: "c1", detect: detectConfigSchema.parse({ enabled: false }), alert: alertConfigSchema.parse({}) });
    run = await pipeline.runOnce();
    await pipeline.stop();
  });
  afterAll(async () => {
    await dns?.close();
    await store?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("checks the hosts' public addresses and the outbound sockets' source addresses, IPv4 and IPv6, and nothing private", () => {
    expect(first.results.map((r) => r.address).sort()).toEqual([LISTED, CLEAN_V4, REFUSED, SILENT, SOCKET_V6, CLEAN_V6].sort());
    expect(dns.questions).toContain(`${SOCKET_V6_NAME} A`);
    expect(dns.questions).toContain(`0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.${ZONE} A`);
    expect(dns.questions.some((q) => q.startsWith("5.0.0.10.") || q.startsWith("1.0.0.127.") || q.includes("e.f."))).toBe(false);
    expect(first.results.find((r) => r.address === SOCKET_V6)?.hostIds).toEqual(["mx-clean"]);
  });

  it("reads 127.0.0.2 as a listing with its meaning, TXT and delisting page", () => {
    expect(first.results.find((r) => r.address === LISTED)).toMatchObject({
      outcome: "listed",
      zone: ZONE,
      hostIds: ["mx-listed"],
      codes: ["127.0.0.2"],
      meanings: ["SBL: Spamhaus SBL (known spam source or spam operation)"],
      txt: "https://check.spamhaus.org/query/ip/192.0.2.10",
      delistUrl: "https://check.spamhaus.org/",
      ttlSeconds: 600,
    });
  });

  it("reports 127.255.255.254 as an error (the list refused the resolver), never as a listing", () => {
    expect(first.results.find((r) => r.address === REFUSED)).toMatchObject({
      outcome: "error",
      codes: ["127.255.255.254"],
      meanings: ["error: query refused because it came through a public or open resolver (use your own resolver, dnsbl.servers)"],
    });
  });

  it("reports a resolver timeout as an error and finishes the run", () => {
    expect(first.results.find((r) => r.address === SILENT)).toMatchObject({ outcome: "error", error: "ETIMEOUT", meanings: ["error: no answer from the resolver within 400 ms × 1 tries"] });
    expect(first.results.filter((r) => r.outcome === "not_listed").map((r) => r.address).sort()).toEqual([CLEAN_V4, SOCKET_V6, CLEAN_V6].sort());
    expect(firstRunMs).toBeLessThan(5_000);
  });

  it("reuses answers for their TTL and asks again after errors", () => {
    const cached = (a: string): boolean | undefined => second.results.find((r) => r.address === a)?.fromCache;
    expect([cached(LISTED), cached(CLEAN_V4), cached(SOCKET_V6), cached(REFUSED), cached(SILENT)]).toEqual([true, true, true, false, false]);
    expect(dns.questions.filter((q) => q === `10.2.0.192.${ZONE} A`)).toHaveLength(1);
    expect(dns.questions.filter((q) => q === `30.2.0.192.${ZONE} A`)).toHaveLength(2);
  });

  it("stores every answer in dnsbl_checks", async () => {
    const rows = await store.query<Record<string, unknown>>(`SELECT trigger, outcome, count() AS n FROM ${database}.dnsbl_checks GROUP BY trigger, outcome ORDER BY trigger, outcome`);
    expect(rows.map((r) => [r.trigger, r.outcome, Number(r.n)])).toEqual([
      ["command", "error", 2],
      ["command", "listed", 1],
      ["command", "not_listed", 3],
      ["schedule", "error", 2],
      ["schedule", "listed", 1],
      ["schedule", "not_listed", 3],
    ]);
  });

  it("raises exactly one blacklisted incident, naming the address, zone, code meaning and delisting page", async () => {
    expect(run.errors).toEqual({});
    expect(run.findings.map((f) => `${f.rule} ${f.subject}`)).toEqual([`blacklisted ${LISTED} on ${ZONE}`]);
    const incidents = (await readIncidents(store, { status: "open" })).filter((i) => i.rule === "blacklisted");
    expect(incidents).toHaveLength(1);
    const incident = incidents[0]!;
    expect(incident).toMatchObject({ scope: "host", scopeHost: "mx-listed", severity: "critical", hosts: ["mx-listed"] });
    expect(incident.summary).toBe(`${LISTED} (mx-listed) is listed on ${ZONE}: 127.0.0.2 SBL: Spamhaus SBL (known spam source or spam operation); delisting: https://check.spamhaus.org/`);
    expect(incident.remediation[1]).toBe(
      `Then request delisting of ${LISTED} from ${ZONE} at https://check.spamhaus.org/, and check it again with \`spamtrace dnsbl --address ${LISTED}\` [guide step 5: radiez les adresses IP des listes noires].`,
    );
  });

  it("runs on its schedule (the collector's timer) and stores that run", async () => {
    const config = dnsblConfigSchema.parse({ zones: [ZONE], servers: [dns.server], timeoutMs: 400, tries: 1, schedule: { enabled: true, intervalMinutes: 1 } });
    const checker = startDnsblChecker({ store, config, collectorId: "scheduled", firstRunDelayMs: 50 });
    try {
      await waitFor(
        "the scheduled run's rows",
        async () => {
          const rows = await store.query<Record<string, unknown>>(`SELECT count() AS n FROM ${database}.dnsbl_checks WHERE collector_id = 'scheduled' AND trigger = 'schedule'`);
          return Number(rows[0]?.n) === 6 ? true : undefined;
        },
        15_000,
      );
    } finally {
      await checker.stop();
    }
  });
});

// `spamtrace dnsbl` as an operator runs it, against a running `spamtrace serve`
// on the embedded engine: the check runs inside the collector (its admin
// endpoint), the answers are stored, and the collector's own detection loop
// opens the incident that `spamtrace incidents` then lists.
describe("spamtrace dnsbl against a running collector (embedded store)", () => {
  let dns: TestDnsServer;
  let lab: Lab;

  beforeAll(async () => {
    dns = await startDnsServer({ [`10.2.0.192.${ZONE}`]: { a: ["127.0.0.4"], ttl: 600 }, [`30.2.0.192.${ZONE}`]: { a: ["127.255.255.254"] } });
    lab = await makeLab({
      store: "embedded",
      probeHostIds: [],
      ports: [25],
      collectorExtra: { dnsbl: { zones: [ZONE], servers: [dns.server], timeoutMs: 400, tries: 1 }, detect: { intervalMs: 1000 } },
    });
    await lab.startCollector();
  }, 120_000);
  afterAll(async () => {
    await lab?.close();
    await dns?.close();
  });

  it("prints the answers, exits 3 for a listing, and the collector raises the incident", async () => {
    const result = await runCliToEnd("spamtrace", ["dnsbl", "--config", lab.collectorConfigFile, "--address", LISTED, "--address", REFUSED, "--address", CLEAN_V6], { cwd: lab.dir });
    expect(result.code).toBe(EXIT_LISTED);
    process.stdout.write(`\n--- spamtrace dnsbl, as printed ---\n${result.stdout}`);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^outcome +address +hosts +zone +code +meaning$/);
    expect(lines[1]).toMatch(new RegExp(`^LISTED +${LISTED.replaceAll(".", "\\.")} +- +${ZONE} +127\\.0\\.0\\.4 +XBL: exploited host \\(CBL: botnet / malware infection, proxy\\) — delist: https://check\\.spamhaus\\.org/$`));
    expect(lines[2]).toMatch(/^ERROR +192\.0\.2\.30 .* 127\.255\.255\.254 +error: query refused because it came through a public or open resolver/);
    expect(lines[3]).toMatch(/^not listed +2001:db8::20 /);
    expect(lines[4]).toMatch(/^3 addresses × 1 zones: 1 listed, 1 errors, 1 not listed \(run [0-9a-f-]{36}\)$/);
    const stored = await lab.sql<{ n: string | number }>(`SELECT count() AS n FROM ${lab.database}.dnsbl_checks WHERE trigger = 'command'`);
    expect(Number(stored[0]?.n)).toBe(3);
    const incident = await waitFor(
      "the blacklisted incident",
      async () => {
        const listed = await runCliToEnd("spamtrace", ["incidents", "--json", "--rule", "blacklisted", "--config", lab.collectorConfigFile], { cwd: lab.dir });
        const incidents = JSON.parse(listed.stdout || "[]") as { subject: string; severity: string }[];
        return incidents.length > 0 ? incidents : undefined;
      },
      30_000,
    );
    expect(incident.map((i) => [i.subject, i.severity])).toEqual([[`${LISTED} on ${ZONE}`, "critical"]]);
  });
});
