// Detection at fleet scale: lists of hosts and accounts that outgrow one
// ClickHouse statement (max_query_size, 256 KiB) are asked for in chunks
// (collector/store/clickhouse/query-in-chunks.ts). Before, at 10,000 hosts
// (bench:fleet), compromised-account/fleet-client-ip failed at every pass.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDetectContext } from "../collector/detect/detect-context.js";
import { detectConfigSchema } from "../collector/detect/detect-config.js";
import { buildDetectors } from "../collector/detect/detectors.js";
import { loadFleetHosts } from "../collector/detect/fleet-hosts.js";
import { FleetSimulator } from "../collector/detect/fleet-simulator.test-support.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { IN_LIST_CHUNK, queryInChunks } from "../collector/store/clickhouse/query-in-chunks.js";
import type { ClickHouseStore } from "../collector/store/clickhouse/store.js";

const MINUTE = 60_000;
const DAY = 86_400_000;
// 120 shared addresses (offices, carrier NAT) each logging in as 100 accounts: 12,000 account names of ~40
// bytes, ~480 KiB as one IN list.
const ADDRESSES = 120;
const USERS_PER_ADDRESS = 100;

describe("detection over fleet-sized lists", () => {
  let dir: string;
  let store: ClickHouseStore;
  const now = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-fleet-scale-"));
    store = await ChdbStore.open(join(dir, "chdb"), "spamtrace");
    await migrate(store, { database: "spamtrace", retentionDays: 30 }, MIGRATIONS);
    const sim = new FleetSimulator(store);
    await sim.host({ hostId: "mx-big", ipAddresses: ["198.51.100.10"] });
    const windows = [];
    for (let a = 0; a < ADDRESSES; a++) {
      for (let u = 0; u < USERS_PER_ADDRESS; u++) {
        windows.push({ atMs: now - 3 * MINUTE, clientIp: `100.64.${a}.1`, username: `mailbox-${a}-${u}@customer-domain-${u}.example`, successes: 1, services: ["imap"] });
      }
    }
    // One address worked through a credential list: failures, then successes as accounts it had never been seen with.
    windows.push({ atMs: now - 5 * MINUTE, clientIp: "100.64.0.1", username: "admin@customer-domain-0.example", failures: 30, services: ["submission"] });
    for (let u = 0; u < USERS_PER_ADDRESS; u++) windows.push({ atMs: now - 2 * DAY, clientIp: "198.18.0.9", username: `mailbox-0-${u}@customer-domain-${u}.example`, successes: 1, services: ["imap"] });
    await sim.authWindows("mx-big", windows);
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("one statement with the whole list is refused; in chunks it is answered", async () => {
    const users = Array.from({ length: ADDRESSES * USERS_PER_ADDRESS }, (_, i) => `mailbox-${Math.floor(i / USERS_PER_ADDRESS)}-${i % USERS_PER_ADDRESS}@customer-domain-${i % USERS_PER_ADDRESS}.example`);
    const statement = (list: string): string => `SELECT username, count() AS n FROM spamtrace.auth_windows WHERE username IN ${list} GROUP BY username`;
    await expect(queryInChunks(store, users, statement, users.length)).rejects.toThrow(/max query size|Max query size/i);
    const rows = await queryInChunks<{ username: string }>(store, users, statement);
    expect(users.length).toBeGreaterThan(5 * IN_LIST_CHUNK);
    expect(new Set(rows.map((r) => r.username)).size).toBe(users.length);
  }, 120_000);

  it("compromised-account/fleet-client-ip runs over 12,000 accounts and flags only the address with evidence", async () => {
    const config = detectConfigSchema.parse({});
    const detector = buildDetectors(config).find((d) => d.name === "compromised-account/fleet-client-ip")!;
    const ctx = createDetectContext(store, config, await loadFleetHosts(store), now);
    const findings = await detector.detect(ctx);
    expect(findings.map((f) => f.subject)).toEqual(["100.64.0.1"]);
  }, 120_000);
});
