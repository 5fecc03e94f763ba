import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { toClickHouseDateTime } from "../collector/store/clickhouse/datetime.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { ServerStore } from "../collector/store/clickhouse/server-store.js";
import type { ClickHouseStore } from "../collector/store/clickhouse/store.js";
import { pruneMessages } from "../collector/store/prune-messages.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";

const DAY = 86_400_000;

// `messages` rows name people's addresses: they go after store.messageRetentionDays,
// on 18.16 (no TTL) through the collector's day-partition drops, and on the embedded engine alike.
describe.each(["embedded", "clickhouse-server-18.16"] as const)("messages retention (%s)", (kind) => {
  let dir: string;
  let server: ClickHouseServer | undefined;
  let store: ClickHouseStore;
  const database = `retention_${kind === "embedded" ? "e" : "s"}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-retention-"));
    if (kind === "embedded") store = await ChdbStore.open(join(dir, "chdb"), database);
    else {
      server = await startClickHouseServer();
      store = await ServerStore.open({ url: server.url, username: "default", password: "", database, requestTimeoutMs: 30_000 });
    }
    await migrate(store, { database, retentionDays: 180, messageRetentionDays: 30 }, MIGRATIONS);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("drops the day partitions older than the retention from messages and message_deliveries, keeps the rest and the other tables", async () => {
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const ages = [40, 31, 29, 0];
    const at = (age: number): number => now - age * DAY;
    const key = (age: number) => ({ host_id: "h1", stream_epoch: 1, batch_seq: age + 1, queue_id: `Q${age}` });
    await store.insert("messages", ages.map((age) => ({ ...key(age), received_at: toClickHouseDateTime(at(age)), received_at_unix_ms: at(age), message_id: `m${age}@x`, sender: `s${age}@x`, null_sender: 0, sasl_user: "", local_user: "", local_uid: -1, script: "", client_ip: "", client_host: "", size_bytes: 1, recipient_count: 1, protocol: "", source: "postfix" })));
    await store.insert("message_deliveries", ages.map((age) => ({ ...key(age), recipient_domain: "example.net", outcome: "delivered", count: 1, first_at: toClickHouseDateTime(at(age)), first_at_unix_ms: at(age), last_at: toClickHouseDateTime(at(age)), last_at_unix_ms: at(age), relay: "", status_text: "", dsn: "" })));
    const dropped = await pruneMessages(store, 30, now);
    expect(dropped.sort()).toEqual(["message_deliveries:20261028", "message_deliveries:20261106", "messages:20261028", "messages:20261106"]);
    for (const table of ["messages", "message_deliveries"]) {
      const rows = await store.query<{ queue_id: string }>(`SELECT queue_id FROM ${database}.${table} ORDER BY queue_id`);
      expect(rows.map((r) => r.queue_id), table).toEqual(["Q0", "Q29"]);
    }
    expect(await pruneMessages(store, 30, now)).toEqual([]);
  });
});
