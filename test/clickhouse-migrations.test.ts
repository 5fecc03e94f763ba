import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { RELAY_POLICY_MIGRATION } from "../collector/store/clickhouse/migrations-relay-policy.js";
import { FAILED_CLIENT_IPS_MIGRATION } from "../collector/store/clickhouse/migrations-failed-client-ips.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { readIncidents, toAlertRow, writeIncidents } from "../collector/incidents/alerts-table.js";
import { incident } from "../collector/incidents/incident-fixtures.test-support.js";
import { ServerStore } from "../collector/store/clickhouse/server-store.js";
import type { ClickHouseStore } from "../collector/store/clickhouse/store.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";

// A schema created before a migration that adds a column, upgraded in place:
// old rows keep reading (the new column reads 0), and a re-run of the ALTER
// (a collector that crashed before recording it, or two collectors racing)
// is harmless on 18.16, which has no ADD COLUMN IF NOT EXISTS, as on newer engines.
describe.each(["embedded", "clickhouse-server-18.16"] as const)("schema upgrade to mail_windows.distinct_failed_client_ips (%s)", (kind) => {
  let dir: string;
  let server: ClickHouseServer | undefined;
  let store: ClickHouseStore;
  const database = `migrations_${kind === "embedded" ? "e" : "s"}`;
  const before = MIGRATIONS.filter((m) => m.version < FAILED_CLIENT_IPS_MIGRATION.version);
  // Incident times inside the alerts TTL (a merge drops rows past it).
  const recent = { openedAtMs: Date.now(), firstSeenMs: Date.now(), lastSeenMs: Date.now() };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-migrations-"));
    if (kind === "embedded") store = await ChdbStore.open(join(dir, "chdb"), database);
    else {
      server = await startClickHouseServer();
      store = await ServerStore.open({ url: server.url, username: "default", password: "", database, requestTimeoutMs: 30_000 });
    }
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const columns = async (): Promise<string[]> =>
    // DESCRIBE lists columns in table order (18.16's system.columns has no position).
    (await store.query<{ name: string }>(`DESCRIBE TABLE ${database}.mail_windows`)).map((r) => r.name);

  it("adds the column after distinct_client_ips to a table that has rows, which then read 0", async () => {
    expect((await migrate(store, { database, retentionDays: 30 }, before)).applied).toEqual(before.map((m) => m.version));
    expect(await columns()).not.toContain("distinct_failed_client_ips");
    const row = { host_id: "old-host", stream_epoch: 1, batch_seq: 1, window_start: "2026-12-07 03:00:00", window_start_unix_ms: 1_796_612_400_000, window_seconds: 60, identity_kind: "sasl_user", identity: "victim", auth_failures: 3, distinct_client_ips: 1 };
    await store.insert("mail_windows", [row]);

    // An incident stored before the suppression columns (migration 9) too.
    const { suppression_id: _id, suppression_reason: _reason, ...oldAlert } = toAlertRow(incident({ id: "old-incident", ...recent }));
    await store.insert("alerts", [oldAlert]);

    expect((await migrate(store, { database, retentionDays: 30 }, MIGRATIONS.filter((m) => m.version <= FAILED_CLIENT_IPS_MIGRATION.version))).applied).toEqual([FAILED_CLIENT_IPS_MIGRATION.version]);

    const names = await columns();
    expect(names.slice(names.indexOf("distinct_client_ips"), names.indexOf("distinct_client_ips") + 2)).toEqual(["distinct_client_ips", "distinct_failed_client_ips"]);
    await store.insert("mail_windows", [{ ...row, host_id: "new-host", distinct_failed_client_ips: 3 }]);
    const rows = await store.query<{ host_id: string; ips: number | string; failed: number | string }>(
      `SELECT host_id, distinct_client_ips AS ips, distinct_failed_client_ips AS failed FROM ${database}.mail_windows ORDER BY host_id`,
    );
    expect(rows.map((r) => [r.host_id, Number(r.ips), Number(r.failed)])).toEqual([["new-host", 1, 3], ["old-host", 1, 0]]);
  });

  it("runs the ALTER again without failing and without a second column", async () => {
    const again = { ...FAILED_CLIENT_IPS_MIGRATION, version: 1_000 };
    expect((await migrate(store, { database, retentionDays: 30 }, [again])).applied).toEqual([1_000]);
    expect((await columns()).filter((name) => name === "distinct_failed_client_ips")).toHaveLength(1);
  });

  it("migration 7 then adds relayed and relayed_recipients after it (old rows read 0) and the relay_policies table", async () => {
    expect((await migrate(store, { database, retentionDays: 30 })).applied).toEqual(MIGRATIONS.filter((m) => m.version > FAILED_CLIENT_IPS_MIGRATION.version).map((m) => m.version));
    expect(MIGRATIONS.map((m) => m.version)).toContain(RELAY_POLICY_MIGRATION.version);
    const names = await columns();
    const at = names.indexOf("distinct_failed_client_ips");
    expect(names.slice(at, at + 3)).toEqual(["distinct_failed_client_ips", "relayed", "relayed_recipients"]);
    const rows = await store.query<{ n: number | string; relayed: number | string }>(`SELECT count() AS n, sum(relayed) AS relayed FROM ${database}.mail_windows`);
    expect(rows.map((r) => [Number(r.n), Number(r.relayed)])).toEqual([[2, 0]]);
    await store.insert("relay_policies", [{ host_id: "h", stream_epoch: 1, batch_seq: 2, observed_at: "2026-12-07 03:00:00", read_at_unix_ms: 1, hash: "ab", mta: "postfix", served_domains: ["a.example"], permitted_networks: [], unreadable_sources: [], sources: [], finding_settings: ["mynetworks"], finding_files: ["/etc/postfix/main.cf"], finding_values: ["0.0.0.0/0"], finding_reasons: ["covers the Internet"] }]);
    const policies = await store.query<{ settings: string[] }>(`SELECT finding_settings AS settings FROM ${database}.relay_policies`);
    expect(policies.map((p) => p.settings)).toEqual([["mynetworks"]]);
  });

  it("reads an incident stored before migration 9 as not suppressed, and stores a suppressed one", async () => {
    await writeIncidents(store, [incident({ id: "new-incident", ...recent, suppressionId: "cfg:0", suppressionReason: "office NAT" })]);
    const byId = new Map((await readIncidents(store)).map((i) => [i.id, [i.suppressionId, i.suppressionReason]]));
    expect(Object.fromEntries(byId)).toEqual({ "old-incident": ["", ""], "new-incident": ["cfg:0", "office NAT"] });
  });
});
