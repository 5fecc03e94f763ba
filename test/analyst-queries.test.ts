import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertConfigSchema } from "../collector/config/collector-config.js";
import { detectConfigSchema } from "../collector/detect/detect-config.js";
import { checkReadOnlySql } from "../collector/admin/check-read-only-sql.js";
import { startPipeline } from "../collector/pipeline/start-pipeline.js";
import type { Finding } from "../collector/vocabulary/finding.js";
import { DEFAULT_QUERY_MAX_EXECUTION_TIME_MS, DEFAULT_QUERY_MAX_MEMORY_BYTES, limitSettings } from "../collector/admin/query-limits.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { ALERTS_MIGRATION } from "../collector/store/clickhouse/migrations-alerts.js";
import { ServerStore } from "../collector/store/clickhouse/server-store.js";
import type { ClickHouseStore, Row } from "../collector/store/clickhouse/store.js";
import { ALICE_HISTORY, COMPLAINT_QUEUE_ID, DAY, MINUTE, STOLEN_FROM_IP, WEEK_USER, writeAnalystFleet } from "./setup/analyst-fleet.js";
import { readAnalystQueries } from "./setup/analyst-queries-doc.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { expandGrafanaSql, relativeTimeMs } from "./setup/grafana-macros.js";

// Every query of docs/analyst-queries.md, as written there, and every panel
// of deploy/grafana/spamtrace.json (macros expanded as the Grafana plugin
// does) against a fleet stored through the collector's own writer, on the
// embedded engine and on ClickHouse 18.16, run the way `spamtrace sql` runs
// them (read-only, under the default analyst limits).

const queries = readAnalystQueries();
const LIMITS = limitSettings({ maxExecutionTimeMs: DEFAULT_QUERY_MAX_EXECUTION_TIME_MS, maxMemoryBytes: DEFAULT_QUERY_MAX_MEMORY_BYTES });
const DASHBOARD_FILE = fileURLToPath(new URL("../deploy/grafana/spamtrace.json", import.meta.url));

interface Panel {
  id: number;
  type: string;
  title: string;
  timeFrom?: string;
  datasource: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { refId: string; rawSql: string; editorType: string; datasource: { type: string; uid: string } }[];
}
interface Dashboard {
  title: string;
  uid: string;
  time: { from: string; to: string };
  templating: { list: { name: string; type: string; query: string }[] };
  panels: Panel[];
}

const num = (v: unknown): number => Number(v);
const pick = (rows: readonly Row[], ...columns: string[]): Row[] => rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]])));
const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

describe("docs/analyst-queries.md and deploy/grafana/spamtrace.json", () => {
  it("has one sql block per question, each passing the read-only gate", () => {
    expect([...queries.keys()]).toEqual([
      "mta-per-host",
      "top-authenticated-senders",
      "outbound-smtp-not-mta",
      "queue-growth",
      "queue-now",
      "client-logins",
      "user-week",
      "scripts-and-local-users",
      "guessed-then-logged-in",
      "open-incidents",
      "account-messages",
      "complaint-message",
    ]);
    for (const query of queries.values()) expect(() => checkReadOnlySql(query)).not.toThrow();
  });

  it("is a valid dashboard whose every panel queries the ClickHouse data source with SQL", () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as Dashboard;
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.templating.list.map((v) => v.name).sort()).toEqual(["account", "client_ip", "database", "datasource"]);
    expect(dashboard.templating.list.find((v) => v.name === "datasource")).toMatchObject({ type: "datasource", query: "grafana-clickhouse-datasource" });
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.type, panel.title).toBe("grafana-clickhouse-datasource");
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) {
        expect(target.datasource.type, panel.title).toBe("grafana-clickhouse-datasource");
        expect(target.editorType, panel.title).toBe("sql");
        expect(() => checkReadOnlySql(target.rawSql.replace(/\$/g, "")), panel.title).not.toThrow();
      }
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
    // Panels do not overlap on Grafana's 24-column grid.
    const cells = new Set<string>();
    for (const { gridPos: g, title } of dashboard.panels) {
      for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
        expect(cells.has(`${x},${y}`), `${title} overlaps another panel at ${x},${y}`).toBe(false);
        cells.add(`${x},${y}`);
      }
    }
  });
});

describe.each(["embedded", "server"] as const)("analyst queries on the %s store", (kind) => {
  let dir: string;
  let server: ClickHouseServer | undefined;
  let store: ClickHouseStore;
  let database: string;
  let now: number;
  let findings: Finding[] = [];
  const answers = new Map<string, Row[]>();

  /** Runs a query the way `spamtrace sql` / /api/sql do: the same gate, read-only, under the default limits. */
  const sql = (query: string): Promise<Row[]> => store.query(checkReadOnlySql(query), { readonly: true, settings: LIMITS });
  const answer = (id: string): Row[] => {
    const rows = answers.get(id);
    if (!rows) throw new Error(`no answer for ${id}`);
    return rows;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-analyst-"));
    database = `analyst_${kind === "embedded" ? "e" : "s"}`;
    if (kind === "embedded") store = await ChdbStore.open(join(dir, "chdb"), database);
    else {
      server = await startClickHouseServer();
      store = await ServerStore.open({ url: server.url, username: "default", password: "", database, requestTimeoutMs: 30_000 });
    }
    await migrate(store, { database, retentionDays: 30 }, [...MIGRATIONS, ALERTS_MIGRATION]);
    now = Date.now();
    await writeAnalystFleet(store, now);
    // Incidents the way the collector opens them: one detection run over the fleet.
    const detection = startPipeline({ store, collectorId: "analyst-test", detect: detectConfigSchema.parse({}), alert: alertConfigSchema.parse({}), now: () => now });
    try {
      findings = (await detection.runOnce()).findings;
    } finally {
      await detection.stop();
    }
    for (const [id, query] of queries) answers.set(id, await sql(query));
  }, 240_000);

  afterAll(async () => {
    await store?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("mta-per-host: each host's MTA from its probe's announcement", () => {
    expect(pick(answer("mta-per-host"), "host_id", "mta", "logs")).toEqual([
      { host_id: "mail1", mta: "postfix", logs: ["/var/log/mail.log"] },
      { host_id: "web1", mta: "postfix", logs: ["/var/log/mail.log"] },
      { host_id: "web2", mta: "exim", logs: ["/var/log/mail.log"] },
    ]);
  });

  it("top-authenticated-senders: five accounts per host by messages in the last hour, without login-only accounts or older sending", () => {
    expect(answer("top-authenticated-senders").map((r) => [r.host_id, r.account, num(r.messages), num(r.deferred)])).toEqual([
      ["mail1", "carol@example.org", 5, 1],
      ["mail1", WEEK_USER, 2, 2],
      ["web1", WEEK_USER, 12, 12],
      ["web1", "bob@example.com", 3, 0],
      ["web1", "dave@example.com", 1, 0],
      ["web1", "erin@example.com", 1, 0],
      ["web1", "frank@example.com", 1, 0],
    ]);
    expect(num(answer("top-authenticated-senders")[2]!.max_domains_per_window)).toBe(4);
  });

  it("outbound-smtp-not-mta: the PHP worker and the deleted fake sendmail, not Postfix's smtp, Exim, inbound clients or last hour's perl", () => {
    const rows = answer("outbound-smtp-not-mta");
    expect(rows.map((r) => ({ ...pick([r], "host_id", "pid", "user", "comm", "exe", "cwd", "argv")[0], exe_deleted: num(r.exe_deleted), sightings: num(r.sightings), remote: [...(r.remote_servers as string[])].sort() }))).toEqual([
      { host_id: "web1", pid: 4040, user: "shop", comm: "sendmail", exe: "/tmp/.x/sendmail", cwd: "/tmp/.x", argv: ["sendmail", "-bd"], exe_deleted: 1, sightings: 2, remote: ["192.0.2.60:587"] },
      { host_id: "web1", pid: 31337, user: "www-data", comm: "php-fpm8.2", exe: "/usr/sbin/php-fpm8.2", cwd: "/var/www/shop/wp-content/uploads", argv: ["php-fpm: pool shop"], exe_deleted: 0, sightings: 2, remote: ["192.0.2.50:25", "192.0.2.51:25"] },
    ]);
  });

  it("queue-growth: hosts by queue growth per minute over the last hour", () => {
    expect(answer("queue-growth").map((r) => [r.host_id, num(r.first_total), num(r.last_total), num(r.growth), num(r.minutes), num(r.growth_per_minute)])).toEqual([
      ["web1", 10, 400, 390, 45, 8.7],
      ["mail1", 5, 35, 30, 30, 1],
      ["web2", 100, 90, -10, 30, -0.3],
    ]);
  });

  it("queue-now: the latest snapshot of each host with its top senders", () => {
    const rows = answer("queue-now");
    expect(rows.map((r) => [r.host_id, num(r.total), num(r.null_sender)])).toEqual([
      ["web1", 400, 12],
      ["mail1", 35, 0],
      ["web2", 90, 0],
    ]);
    expect(pick(rows.slice(0, 1), "top_senders", "top_sender_counts")).toEqual([{ top_senders: ["ceo@bank.example", "bob@example.com"], top_sender_counts: [370, 3] }]);
  });

  it("client-logins: the hosts and accounts the address logged into (SMTP AUTH and IMAP), not where it only failed", () => {
    expect(answer("client-logins").map((r) => [r.host_id, r.username, num(r.logins), num(r.failures), [...(r.services as string[])].sort()])).toEqual([
      ["mail1", WEEK_USER, 3, 0, ["imap", "submission"]],
      ["web1", WEEK_USER, 12, 0, ["submission"]],
    ]);
    expect(STOLEN_FROM_IP).toBe("203.0.113.7"); // the literal in the doc's query
  });

  it("user-week: the account's messages per day and host over seven days, and where its password failed", () => {
    const expected = new Map<string, { messages: number; failed: number }>();
    const add = (host: string, atMs: number, messages: number, failed = 0): void => {
      const key = `${utcDay(atMs)} ${host}`;
      const prior = expected.get(key) ?? { messages: 0, failed: 0 };
      expected.set(key, { messages: prior.messages + messages, failed: prior.failed + failed });
    };
    for (const [day, messages] of Object.entries(ALICE_HISTORY)) add("web1", now - Number(day) * DAY, messages);
    add("web1", now - 20 * MINUTE, 12);
    add("web1", now - 2 * 60 * MINUTE, 5);
    add("mail1", now - 10 * MINUTE, 2);
    add("web2", now - 25 * MINUTE, 0, 3);
    const want = [...expected.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, v]) => [...key.split(" "), v.messages, v.failed]);
    expect(answer("user-week").map((r) => [r.day, r.host_id, num(r.messages), num(r.failed_logins)])).toEqual(want);
  });

  it("scripts-and-local-users: the WordPress upload folder that sent through Exim today, and its user", () => {
    expect(answer("scripts-and-local-users").map((r) => [r.host_id, r.identity_kind, r.identity, num(r.messages)])).toEqual([
      ["web2", "script", "/var/www/shop/wp-content/uploads", 3],
      ["web2", "local_user", "shop", 3],
    ]);
  });

  it("guessed-then-logged-in: the address that failed 12 times and got in, not the one that only failed or the owner's few failures", () => {
    expect(answer("guessed-then-logged-in").map((r) => [r.client_ip, num(r.failures), num(r.usernames_tried), r.logged_in_as, r.hosts])).toEqual([["198.18.0.9", 12, 3, ["carol@example.org"], ["mail1"]]]);
  });

  it("open-incidents: one row per incident detection opened, current state", () => {
    expect(findings.length).toBeGreaterThan(0);
    const rows = answer("open-incidents");
    expect(rows.map((r) => `${String(r.rule)} ${String(r.subject)}`).sort()).toEqual(findings.map((f) => `${f.rule} ${f.subject}`).sort());
    expect(rows.map((r) => r.rule)).toContain("direct-to-mx");
    expect(rows.find((r) => r.rule === "direct-to-mx")).toMatchObject({ hosts: ["web1"], subject: "/usr/sbin/php-fpm8.2 (user www-data)", severity: "high" });
  });

  it("account-messages: each of the account's messages in the last hour with its outcomes, not the older ones", () => {
    const rows = answer("account-messages");
    expect(rows.map((r) => [r.host_id, r.sender, r.client_ip, num(r.recipient_count)])).toEqual([
      ...Array.from({ length: 12 }, () => ["web1", "ceo@bank.example", STOLEN_FROM_IP, 1]),
      ["mail1", WEEK_USER, STOLEN_FROM_IP, 1],
      ["mail1", WEEK_USER, STOLEN_FROM_IP, 1],
    ]);
    expect(rows.slice(0, 12).map((r) => r.outcomes)).toEqual(Array.from({ length: 12 }, (_, i) => [`deferred victim${i % 4}.example`]));
    expect(rows[0]!.queue_id).toBe(COMPLAINT_QUEUE_ID);
  });

  it("complaint-message: the row of a Message-ID names its account and client", () => {
    expect(pick(answer("complaint-message"), "host_id", "queue_id", "sender", "sasl_user", "local_user", "script", "client_ip")).toEqual([
      { host_id: "web1", queue_id: COMPLAINT_QUEUE_ID, sender: "ceo@bank.example", sasl_user: WEEK_USER, local_user: "", script: "", client_ip: STOLEN_FROM_IP },
    ]);
  });

  it("every dashboard panel runs with Grafana's macros expanded, and answers as the doc's queries do", async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as Dashboard;
    const variables = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v.query]));
    variables.database = database;
    expect(variables.account).toBe(WEEK_USER);
    expect(variables.client_ip).toBe(STOLEN_FROM_IP);
    const byTitle = new Map<string, Row[]>();
    for (const panel of dashboard.panels) {
      const span = relativeTimeMs((panel.timeFrom ?? dashboard.time.from.replace(/^now-/, "")).replace(/^now-/, ""));
      for (const target of panel.targets) {
        const query = expandGrafanaSql(target.rawSql, { fromMs: now - span - MINUTE, toMs: Date.now(), intervalSeconds: 60, variables });
        const rows = await sql(query).catch((error: unknown) => {
          throw new Error(`panel "${panel.title}": ${(error as Error).message}`);
        });
        expect(rows.length, `panel "${panel.title}" answered no rows on the populated fleet`).toBeGreaterThan(0);
        byTitle.set(panel.title.replace(/\$\{(\w+)\}/g, (_m, n: string) => variables[n]!), rows);
      }
    }
    const panel = (title: string): Row[] => byTitle.get(title) ?? [];
    const same = (rows: Row[], columns: string[]): string[] => rows.map((r) => columns.map((c) => String(r[c])).join("|"));
    expect(same(panel("Open incidents"), ["incident_id", "rule", "subject"])).toEqual(same(answer("open-incidents"), ["incident_id", "rule", "subject"]));
    expect(same(panel("Top authenticated senders"), ["host_id", "account", "messages"])).toEqual(same(answer("top-authenticated-senders"), ["host_id", "account", "messages"]));
    expect(same(panel("Processes with outbound SMTP connections that are not the MTA"), ["host_id", "pid", "exe"])).toEqual(same(answer("outbound-smtp-not-mta"), ["host_id", "pid", "exe"]));
    expect(same(panel("Hosts whose queue grew fastest"), ["host_id", "growth"])).toEqual(same(answer("queue-growth"), ["host_id", "growth"]));
    expect(same(panel("What is in each host's queue now"), ["host_id", "total"])).toEqual(same(answer("queue-now"), ["host_id", "total"]));
    expect(same(panel(`Hosts ${STOLEN_FROM_IP} logged into`), ["host_id", "username", "logins"])).toEqual(same(answer("client-logins"), ["host_id", "username", "logins"]));
    expect(same(panel(`${WEEK_USER}: sending per day`), ["day", "host_id", "messages"])).toEqual(same(answer("user-week"), ["day", "host_id", "messages"]));
    expect(same(panel("Web scripts and local users that sent mail"), ["identity", "messages"])).toEqual(same(answer("scripts-and-local-users"), ["identity", "messages"]));
    expect(same(panel("Addresses that guessed passwords and then got in"), ["client_ip", "failures"])).toEqual(same(answer("guessed-then-logged-in"), ["client_ip", "failures"]));
    expect(same(panel("MTA per host"), ["host_id", "mta"])).toEqual(same(answer("mta-per-host"), ["host_id", "mta"]));
    // web1 3, mail1 2, web2 2 in the last hour (web2's snapshot 2 hours ago is outside).
    expect(panel("Queue depth per host").length).toBe(7);
    expect(panel("Messages sent by authenticated accounts").length).toBeGreaterThanOrEqual(7);
  });
});
