// BatchWriter's exactly-once against a real store (the embedded engine): a
// batch a crashed collector stored in part (some tables, no marker) is
// completed without doubling what is there; a stored batch is a duplicate.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetBatch, fleetHello } from "../../test/setup/fleet-batches.js";
import { BatchWriter } from "./batch-writer.js";
import { ChdbStore } from "./clickhouse/chdb-store.js";
import { migrate } from "./clickhouse/migrate.js";
import { InsertBatcher } from "./insert-batcher.js";
import { authWindowRows, logStatRows, mailWindowRows, queueRows } from "./rows/mta-rows.js";
import { socketRows } from "./rows/socket-rows.js";

const DATABASE = "batch_writer";
const EPOCH = 7n;

describe("BatchWriter stores each batch once", () => {
  let dir: string;
  let store: ChdbStore;
  const batch = (hostId: string, i: number, seq: bigint) =>
    fleetBatch({ hostId, i, epoch: EPOCH, seq, nowMs: Date.now(), intervalMs: 30_000, compromised: false }).batch;
  const rowsOf = async (table: string, hostId: string): Promise<Record<string, number>> => {
    const rows = await store.query<{ s: string; c: string }>(`SELECT toString(batch_seq) AS s, count() AS c FROM ${DATABASE}.${table} WHERE host_id = '${hostId}' GROUP BY s`);
    return Object.fromEntries(rows.map((r) => [r.s, Number(r.c)]));
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-batch-writer-"));
    store = await ChdbStore.open(join(dir, "chdb"), DATABASE);
    await migrate(store, { database: DATABASE, retentionDays: 30 });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("completes a batch stored in part by a crashed collector, and skips a stored one after a reconnect", async () => {
    const writer = (): BatchWriter => new BatchWriter(store, "c1", new InsertBatcher(store, { maxRows: 10_000 }));
    const [whole, partial, other] = [batch("host-a", 1, 1n), batch("host-a", 1, 2n), batch("host-b", 2, 1n)];
    const first = writer();
    const a = await first.openStream(fleetHello("host-a", 1, EPOCH), "host-a");
    expect((await first.storeBatch(a, whole)).duplicate).toBe(false);
    // The crash: batch 2's socket rows went in, its mail windows and marker did not.
    const sockets = socketRows(partial);
    expect(sockets.length).toBeGreaterThan(0);
    await store.insert("socket_snapshots", sockets);

    // A new collector, with host-b's first batch asked about in the same group as host-a's resent batch.
    const second = writer();
    const [resumed, b] = await Promise.all([second.openStream(fleetHello("host-a", 1, EPOCH), "host-a"), second.openStream(fleetHello("host-b", 2, EPOCH), "host-b")]);
    expect(resumed.storedThrough).toBe(1n);
    expect(b.storedThrough).toBe(0n);
    expect((await second.storeBatch(resumed, whole)).duplicate).toBe(true);
    const [completed, fresh] = await Promise.all([second.storeBatch(resumed, partial), second.storeBatch(b, other)]);
    expect(completed.duplicate).toBe(false);
    expect(completed.rows).not.toHaveProperty("socket_snapshots");
    expect(completed.rows.mail_windows).toBe(mailWindowRows(partial).length);
    expect(fresh.rows.socket_snapshots).toBe(socketRows(other).length);

    expect(await rowsOf("socket_snapshots", "host-a")).toEqual({ "1": socketRows(whole).length, "2": sockets.length });
    expect(await rowsOf("mail_windows", "host-a")).toEqual({ "1": mailWindowRows(whole).length, "2": mailWindowRows(partial).length });
    expect(await rowsOf("ingest_batches", "host-a")).toEqual({ "1": 1, "2": 1 });
    expect(await rowsOf("socket_snapshots", "host-b")).toEqual({ "1": socketRows(other).length });

    // Every table already holding the batch (only the marker lost): nothing is written but the marker.
    const third = batch("host-b", 2, 2n);
    const tables = { socket_snapshots: socketRows, queue_snapshots: queueRows, mail_windows: mailWindowRows, auth_windows: authWindowRows, log_read_stats: logStatRows };
    for (const [table, build] of Object.entries(tables)) if (build(third).length > 0) await store.insert(table, build(third));
    const again = writer();
    const c = await again.openStream(fleetHello("host-b", 2, EPOCH), "host-b");
    expect(await again.storeBatch(c, third)).toEqual({ duplicate: true, rows: {} });
    expect(await rowsOf("ingest_batches", "host-b")).toEqual({ "1": 1, "2": 1 });
  }, 120_000);

  it("looks for a half-stored copy only of a batch the probe may have sent before (first_send unset)", async () => {
    let queries = 0;
    const counting = new Proxy(store, {
      get: (target, name, receiver) => {
        const value: unknown = Reflect.get(target, name, receiver);
        if (name === "query") return (...args: Parameters<ChdbStore["query"]>) => (queries++, target.query(...args));
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const writer = new BatchWriter(counting, "c1", new InsertBatcher(counting, { maxRows: 10_000 }));
    const cursor = await writer.openStream(fleetHello("host-c", 3, EPOCH), "host-c");
    const afterHello = queries;
    expect((await writer.storeBatch(cursor, { ...batch("host-c", 3, 1n), firstSend: true })).rows.socket_snapshots).toBeGreaterThan(0);
    expect(queries).toBe(afterHello);
    const resumed = await writer.openStream(fleetHello("host-c", 3, EPOCH), "host-c");
    const afterReconnect = queries;
    expect((await writer.storeBatch(resumed, batch("host-c", 3, 2n))).duplicate).toBe(false);
    expect(queries).toBe(afterReconnect + 1);
    expect(await rowsOf("ingest_batches", "host-c")).toEqual({ "1": 1, "2": 1 });
  }, 120_000);
});
