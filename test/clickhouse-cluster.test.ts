import { createServer, connect, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertConfigSchema } from "../collector/config/collector-config.js";
import { loadCollectorConfig } from "../collector/config/collector-config.js";
import { detectConfigSchema } from "../collector/detect/detect-config.js";
import type { Finding } from "../collector/vocabulary/finding.js";
import { startPipeline } from "../collector/pipeline/start-pipeline.js";
import { checkReadOnlySql } from "../collector/admin/check-read-only-sql.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { ALERTS_MIGRATION } from "../collector/store/clickhouse/migrations-alerts.js";
import { ServerStore } from "../collector/store/clickhouse/server-store.js";
import type { ClickHouseStore, Row } from "../collector/store/clickhouse/store.js";
import { migrateStore, openStore } from "../collector/store/open-store.js";
import { writeAnalystFleet } from "./setup/analyst-fleet.js";
import { readAnalystQueries } from "./setup/analyst-queries-doc.js";
import { startClickHouseCluster, type ClickHouseCluster } from "./setup/clickhouse-cluster.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";
import { startZooKeeper, type ZooKeeper } from "./setup/zookeeper.js";

// Two ClickHouse 18.16 servers on loopback as two shards of one cluster,
// the collector's schema created on each (local MergeTree tables behind
// Distributed tables), the collector writing through the Distributed tables
// with insert_distributed_sync=1.

const CLUSTER = "spamtrace_2x1";
const HOSTS = ["c-host-1", "c-host-2", "c-host-3", "c-host-4", "c-host-5", "c-host-6"];

const num = (v: unknown): number => Number(v);

/** A node's own rows of a local table, by host. */
async function localRowsByHost(url: string, table: string, database: string): Promise<Map<string, number>> {
  const response = await fetch(`${url}/?query=${encodeURIComponent(`SELECT host_id, count() FROM ${database}.${table} GROUP BY host_id FORMAT TSV`)}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: ${text}`);
  return new Map(text.trim().split("\n").filter(Boolean).map((line) => line.split("\t") as [string, string]).map(([h, n]) => [h, Number(n)]));
}

/** A collector writing to the cluster through its first server, and one probe per host, each with its /metrics. */
interface ClusterLab {
  lab: Lab;
  /** Batches each probe has seen acknowledged. */
  ackedAll(): Promise<Map<string, number>>;
}

async function startClusterLab(cluster: ClickHouseCluster, hosts: readonly string[], clusterConfig: Record<string, unknown>, ports?: number[]): Promise<ClusterLab> {
  const metricsPorts = new Map<string, number>();
  for (const h of hosts) metricsPorts.set(h, await freePort());
  const lab = await makeLab({
    store: cluster.shards[0]![0]!,
    probeHostIds: [...hosts],
    ports: ports ?? [await freePort()],
    collectorExtra: { store: { cluster: { name: cluster.name, nodes: cluster.servers.map((s) => s.url), ...clusterConfig } } },
    probeExtra: (hostId) => ({ metrics: { port: metricsPorts.get(hostId) } }),
  });
  await lab.startCollector();
  for (const h of hosts) await lab.startProbe(h);
  const acked = async (hostId: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPorts.get(hostId)!}/metrics`)).text();
    return Number(/^spamtrace_probe_batches_acked_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
  };
  const lastSeqs = async (): Promise<Map<string, number>> =>
    new Map((await lab.sql<{ host_id: string; s: string }>("SELECT host_id, max(batch_seq) AS s FROM ingest_batches GROUP BY host_id")).map((r) => [r.host_id, num(r.s)]));
  await waitFor("3 batches from every probe", async () => {
    const seqs = await lastSeqs();
    return hosts.every((h) => (seqs.get(h) ?? 0) >= 3) ? true : undefined;
  }, 60_000, 500);
  return { lab, ackedAll: async () => new Map(await Promise.all(hosts.map(async (h) => [h, await acked(h)] as const))) };
}

describe("a two-shard ClickHouse 18.16 cluster behind Distributed tables", () => {
  let cluster: ClickHouseCluster;
  let lab: Lab;
  let ackedAll: () => Promise<Map<string, number>>;
  let listener: Server;
  const sockets: Socket[] = [];
  const storedSeqs = async (): Promise<Map<string, number[]>> => {
    const rows = await lab.sql<{ host_id: string; seqs: string[] }>("SELECT host_id, arraySort(groupUniqArray(batch_seq)) AS seqs FROM ingest_batches GROUP BY host_id");
    return new Map(rows.map((r) => [r.host_id, r.seqs.map(Number)]));
  };

  beforeAll(async () => {
    cluster = await startClickHouseCluster({ name: CLUSTER, shards: 2 });
    // Load: every probe sees a listener and 8 connections on the watched port in every snapshot.
    const port = await freePort();
    listener = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => listener.listen(port, "127.0.0.1", resolve));
    for (let i = 0; i < 8; i++) sockets.push(connect(port, "127.0.0.1"));
    ({ lab, ackedAll } = await startClusterLab(cluster, HOSTS, {}, [port]));
  }, 300_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    listener?.close();
    await lab?.close();
    await cluster?.stop();
  });

  it("stores every host's rows on exactly one shard, both shards holding some, and the Distributed tables see them all", async () => {
    const database = lab.database;
    const perShard = await Promise.all(cluster.servers.map((s) => localRowsByHost(s.url, "socket_snapshots", `${database}_local`)));
    const shardOf = new Map<string, number>();
    for (const [i, rows] of perShard.entries()) {
      expect(rows.size, `shard ${i + 1} holds rows of some hosts`).toBeGreaterThan(0);
      for (const host of rows.keys()) {
        expect(shardOf.has(host), `${host} on one shard only`).toBe(false);
        shardOf.set(host, i + 1);
      }
    }
    expect([...shardOf.keys()].sort()).toEqual(HOSTS);
    // Read after the shards (ingest goes on meanwhile): at least every row they held.
    const total = await lab.sql<{ n: string }>("SELECT count() AS n FROM socket_snapshots");
    expect(num(total[0]!.n)).toBeGreaterThanOrEqual(perShard.reduce((sum, rows) => sum + [...rows.values()].reduce((a, b) => a + b, 0), 0));
    // The same key on every table: a host's batch markers live with its rows.
    const markers = await Promise.all(cluster.servers.map((s) => localRowsByHost(s.url, "ingest_batches", `${database}_local`)));
    for (const [i, rows] of markers.entries()) for (const host of rows.keys()) expect(shardOf.get(host)).toBe(i + 1);
    console.log(`rows per shard (socket_snapshots): ${perShard.map((rows, i) => `shard ${i + 1}: ${JSON.stringify(Object.fromEntries(rows))}`).join("; ")}`);
  });

  it("loses no acknowledged batch while one shard is stopped for 10 s under load", async () => {
    const down = cluster.shards[1]![0]!;
    const before = await ackedAll();
    await down.kill();
    const stoppedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const duringOutage = await ackedAll();
    await down.restart();
    const restartedAt = Date.now();
    // Catch up: every probe's acknowledged count moves past what it was at the end of the outage.
    await waitFor("acknowledgements after the shard came back", async () => {
      const now = await ackedAll();
      return HOSTS.every((h) => now.get(h)! >= duringOutage.get(h)! + 3) ? true : undefined;
    }, 90_000, 500);
    const ackedAfter = await ackedAll();
    const stored = await storedSeqs();
    for (const host of HOSTS) {
      const seqs = stored.get(host) ?? [];
      // Batches are numbered 1, 2, ... per spool epoch: a gap would be a lost batch.
      expect(seqs, `${host}: every batch from 1 to the last stored`).toEqual(seqs.map((_, i) => i + 1));
      expect(seqs.length, `${host}: stored at least what the probe saw acknowledged`).toBeGreaterThanOrEqual(ackedAfter.get(host)!);
    }
    // No batch stored twice, none half-stored: up to each host's last marker (rows go in before their
    // marker), its socket rows are what its batch markers say.
    for (const host of HOSTS) {
      const last = stored.get(host)!.at(-1)!;
      const [rowCount] = await lab.sql<{ n: string }>(`SELECT count() AS n FROM socket_snapshots WHERE host_id = '${host}' AND batch_seq <= ${last}`);
      const [markerCount] = await lab.sql<{ n: string }>(
        `SELECT sum(socket_rows) AS n FROM (SELECT batch_seq, any(socket_rows) AS socket_rows FROM ingest_batches WHERE host_id = '${host}' AND batch_seq <= ${last} GROUP BY batch_seq)`,
      );
      expect(num(rowCount!.n), host).toBe(num(markerCount!.n));
      expect(num(rowCount!.n), host).toBeGreaterThan(0);
    }
    console.log(
      `shard 2 down ${restartedAt - stoppedAt} ms: acked before ${JSON.stringify(Object.fromEntries(before))}, at the end of the outage ${JSON.stringify(Object.fromEntries(duringOutage))}, after catching up ${JSON.stringify(Object.fromEntries(ackedAfter))}; stored ${JSON.stringify(Object.fromEntries([...stored].map(([h, s]) => [h, s.length])))}`,
    );
  });
});

describe("the analyst queries and detection on the cluster and on one node", () => {
  let cluster: ClickHouseCluster;
  let clusterStore: ClickHouseStore;
  let singleStore: ClickHouseStore;
  const findings: Record<"cluster" | "single", Finding[]> = { cluster: [], single: [] };
  const errors: Record<"cluster" | "single", Record<string, string>> = { cluster: {}, single: {} };
  const answers: Record<"cluster" | "single", Map<string, Row[]>> = { cluster: new Map(), single: new Map() };

  beforeAll(async () => {
    cluster = await startClickHouseCluster({ name: CLUSTER, shards: 2 });
    const entry = cluster.shards[0]![0]!;
    const config = loadCollectorConfig(undefined, { store: { url: entry.url, database: "fleet", cluster: { name: CLUSTER, nodes: cluster.servers.map((s) => s.url) } } }, {});
    clusterStore = await openStore(config.store, {});
    await migrateStore(clusterStore, config.store, {});
    singleStore = await ServerStore.open({ url: entry.url, username: "default", password: "", database: "fleet_single", requestTimeoutMs: 30_000 });
    await migrate(singleStore, { database: "fleet_single", retentionDays: 30 }, [...MIGRATIONS, ALERTS_MIGRATION]);
    const now = Date.now();
    for (const [kind, store] of [["cluster", clusterStore], ["single", singleStore]] as const) {
      await writeAnalystFleet(store, now);
      const detection = startPipeline({ store, collectorId: "cluster-test", detect: detectConfigSchema.parse({}), alert: alertConfigSchema.parse({}), now: () => now });
      try {
        const report = await detection.runOnce();
        findings[kind] = report.findings;
        errors[kind] = report.errors;
      } finally {
        await detection.stop();
      }
      for (const [id, query] of readAnalystQueries()) answers[kind].set(id, await store.query(checkReadOnlySql(query), { readonly: true }));
    }
  }, 300_000);

  afterAll(async () => {
    await clusterStore?.close();
    await singleStore?.close();
    await cluster?.stop();
  });

  it("spreads the fleet over both shards", async () => {
    const counts = await Promise.all(cluster.servers.map(async (s) => (await localRowsByHost(s.url, "mail_windows", "fleet_local")).size));
    expect(counts.every((n) => n > 0)).toBe(true);
  });

  it("gives the same detection findings, every detector running without error", () => {
    expect(errors).toEqual({ cluster: {}, single: {} });
    const key = (f: Finding): string => JSON.stringify([f.rule, f.scope, f.scopeHost, f.subject, f.hosts, f.counts]);
    expect(findings.cluster.length).toBeGreaterThan(0);
    expect(findings.cluster.map(key).sort()).toEqual(findings.single.map(key).sort());
  });

  it("gives every analyst query the same answer", () => {
    for (const [id, rows] of answers.single) {
      // The hosts' last_seen is when each store was written, seconds apart.
      const comparable = (r: Row): Row => (id === "mta-per-host" ? { ...r, last_seen: undefined } : r);
      expect(answers.cluster.get(id)?.map(comparable), id).toEqual(rows.map(comparable));
      expect(rows.length, `${id} answers something`).toBeGreaterThan(0);
    }
  });
});

describe("a replicated cluster: 2 shards x 2 replicas of ClickHouse 18.16 with Debian's ZooKeeper 3.8", () => {
  const hosts = ["r-host-1", "r-host-2", "r-host-3", "r-host-4"];
  let zookeeper: ZooKeeper;
  let cluster: ClickHouseCluster;
  let lab: Lab;
  let ackedAll: () => Promise<Map<string, number>>;
  /** Rows per host in a replica's own local table, up to each host's batch `upTo`. */
  const replicaRows = async (url: string, upTo: Map<string, number>): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const [host, seq] of upTo) {
      const response = await fetch(`${url}/?query=${encodeURIComponent(`SELECT count() FROM ${lab.database}_local.ingest_batches WHERE host_id = '${host}' AND batch_seq <= ${seq}`)}`);
      out[host] = Number((await response.text()).trim());
    }
    return out;
  };
  const lastSeqs = async (): Promise<Map<string, number>> =>
    new Map((await lab.sql<{ host_id: string; s: string }>("SELECT host_id, max(batch_seq) AS s FROM ingest_batches GROUP BY host_id")).map((r) => [r.host_id, num(r.s)]));

  beforeAll(async () => {
    zookeeper = await startZooKeeper();
    cluster = await startClickHouseCluster({ name: "spamtrace_2x2", shards: 2, replicas: 2, zookeeper });
    ({ lab, ackedAll } = await startClusterLab(cluster, hosts, { replicated: true }));
  }, 300_000);

  afterAll(async () => {
    await lab?.close();
    await cluster?.stop();
    await zookeeper?.stop();
  });

  it("writes each host to one shard and both of its replicas hold the same rows", async () => {
    const upTo = await lastSeqs();
    const started = Date.now();
    const perReplica = await waitFor("both replicas of every shard in step", async () => {
      const rows = await Promise.all(cluster.servers.map((s) => replicaRows(s.url, upTo)));
      const [s1r1, s1r2, s2r1, s2r2] = rows;
      return JSON.stringify(s1r1) === JSON.stringify(s1r2) && JSON.stringify(s2r1) === JSON.stringify(s2r2) ? rows : undefined;
    }, 30_000, 100);
    const lagMs = Date.now() - started;
    for (const host of hosts) {
      const holders = perReplica.map((r, i) => (r[host]! > 0 ? i : -1)).filter((i) => i >= 0);
      // Servers are listed shard by shard: [s1r1, s1r2, s2r1, s2r2].
      expect([[0, 1], [2, 3]], `${host} on both replicas of one shard`).toContainEqual(holders);
      expect(perReplica[holders[0]!]![host]).toBe(upTo.get(host));
    }
    expect(perReplica.slice(0, 2).some((r) => Object.values(r).some((n) => n > 0))).toBe(true);
    expect(perReplica.slice(2).some((r) => Object.values(r).some((n) => n > 0))).toBe(true);
    console.log(`replicated: batch markers per replica ${JSON.stringify(perReplica)}; replicas in step ${lagMs} ms after the read`);
  });

  it("keeps acknowledging while one replica is stopped for 10 s, loses nothing, and the replica catches up", async () => {
    const down = cluster.shards[1]![0]!;
    const before = await ackedAll();
    await down.kill();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const duringOutage = await ackedAll();
    await down.restart();
    for (const host of hosts) expect(duringOutage.get(host)! - before.get(host)!, `${host} acknowledged during the outage`).toBeGreaterThan(5);
    const upTo = await lastSeqs();
    await waitFor("the restarted replica caught up", async () => {
      const [r1, r2] = await Promise.all(cluster.shards[1]!.map((s) => replicaRows(s.url, upTo)));
      return JSON.stringify(r1) === JSON.stringify(r2) ? true : undefined;
    }, 60_000, 250);
    const ackedAfter = await ackedAll();
    const stored = new Map(
      (await lab.sql<{ host_id: string; seqs: string[] }>("SELECT host_id, arraySort(groupUniqArray(batch_seq)) AS seqs FROM ingest_batches GROUP BY host_id")).map((r) => [r.host_id, r.seqs.map(Number)]),
    );
    for (const host of hosts) {
      const seqs = stored.get(host) ?? [];
      expect(seqs, `${host}: every batch from 1 to the last stored`).toEqual(seqs.map((_, i) => i + 1));
      expect(seqs.length).toBeGreaterThanOrEqual(ackedAfter.get(host)!);
    }
    console.log(`replica s2r1 down 10 s: acked before ${JSON.stringify(Object.fromEntries(before))}, at the end of the outage ${JSON.stringify(Object.fromEntries(duringOutage))}, after ${JSON.stringify(Object.fromEntries(ackedAfter))}`);
  });
});
