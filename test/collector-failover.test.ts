// Two collectors on one ClickHouse server share a fleet: probes (the real
// sender and disk spool) list both; one collector is killed (SIGKILL) under
// load; its probes move to the other, and nothing is lost or doubled; an
// incident is notified once whether it was found before or after the kill.
import { createServer, type Server } from "node:http";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certsInit } from "../collector/certs/certs-init.js";
import { ServerStore } from "../collector/store/clickhouse/server-store.js";
import { BatchSchema } from "../shared/gen/spamtrace/v1/ingest_pb.js";
import { moduleLogger } from "../shared/log/logger.js";
import { GrpcSender } from "../probe/send/grpc-sender.js";
import { DiskSpool } from "../probe/spool/disk-spool.js";
import { startCli, type CliProcess } from "./setup/cli-process.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { fleetBatch, fleetHello } from "./setup/fleet-batches.js";
import { freePort } from "./setup/free-port.js";
import { storedCounts } from "./setup/stored-counts.js";
import { waitFor } from "./setup/wait-for.js";

const HOSTS = Array.from({ length: 8 }, (_, i) => `fo-host-${i}`);
/** Compromised from the start (found before the kill) and from after the kill (found by the survivor only). */
const EARLY = 1;
const LATE = 2;
const BATCH_EVERY_MS = 1000;

interface Probe {
  hostId: string;
  index: number;
  spool: DiskSpool;
  sender: GrpcSender;
  produced: number;
}

describe("two collectors sharing one ClickHouse server", () => {
  let server: ClickHouseServer;
  let store: ServerStore;
  let dir: string;
  let webhook: Server;
  const notified: string[] = [];
  const collectors: CliProcess[] = [];
  const probes: Probe[] = [];
  let producing: NodeJS.Timeout | undefined;
  let lateFrom = Infinity;

  beforeAll(async () => {
    server = await startClickHouseServer();
    dir = await mkdtemp(join(tmpdir(), "spamtrace-failover-"));
    const certsDir = join(dir, "certs");
    await certsInit({ dir: certsDir, probeHostIds: HOSTS });
    webhook = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        notified.push(body);
        res.writeHead(200).end();
      });
    });
    const hookPort = await freePort();
    await new Promise<void>((resolve) => webhook.listen(hookPort, "127.0.0.1", resolve));
    const grpcPorts: number[] = [];
    for (const name of ["c1", "c2"]) {
      const grpcPort = await freePort();
      grpcPorts.push(grpcPort);
      const config = {
        collectorId: name,
        grpc: { host: "127.0.0.1", port: grpcPort, certsDir },
        admin: { host: "127.0.0.1", port: await freePort(), tokenFile: join(dir, `${name}.token`) },
        store: { url: server.url, database: "failover" },
        detect: { intervalMs: 1000 },
        alert: { webhooks: [{ name: "abuse-desk", url: `http://127.0.0.1:${hookPort}/hook` }] },
      };
      await writeFile(join(dir, `${name}.json`), JSON.stringify(config));
    }
    // One after the other: both would otherwise migrate the same database at once.
    for (const name of ["c1", "c2"]) {
      const collector = startCli("spamtrace", ["serve", "--config", join(dir, `${name}.json`)], { cwd: dir });
      collectors.push(collector);
      await collector.waitForOutput(/collector listening/, 60_000);
    }
    store = await ServerStore.open({ url: server.url, username: "default", password: "", database: "failover", requestTimeoutMs: 30_000 });
    const ca = await readFile(join(certsDir, "ca.crt"));
    const addresses = grpcPorts.map((p) => `127.0.0.1:${p}`);
    for (const [index, hostId] of HOSTS.entries()) {
      const spool = new DiskSpool(join(dir, `spool-${hostId}`), 16 * 1024 * 1024);
      const sender = new GrpcSender({
        addresses,
        // Half the fleet starts on each collector.
        firstAddress: index % 2,
        tls: { ca, cert: await readFile(join(certsDir, `probe-${hostId}.crt`)), key: await readFile(join(certsDir, `probe-${hostId}.key`)), serverName: "localhost" },
        spool,
        hello: () => fleetHello(hostId, index, spool.epoch),
        logger: moduleLogger("send"),
        keepaliveMs: 5000,
        maxInFlight: 16,
        reconnectMinMs: 100,
        reconnectMaxMs: 1000,
      });
      probes.push({ hostId, index, spool, sender, produced: 0 });
      sender.start();
    }
    producing = setInterval(() => {
      const now = Date.now();
      for (const p of probes) {
        const seq = p.spool.nextSeq();
        const compromised = p.index === EARLY || (p.index === LATE && now >= lateFrom);
        const { batch } = fleetBatch({ hostId: p.hostId, i: p.index, epoch: p.spool.epoch, seq, nowMs: now, intervalMs: BATCH_EVERY_MS, compromised });
        p.spool.append(seq, toBinary(BatchSchema, batch));
        p.produced++;
        p.sender.kick();
      }
    }, BATCH_EVERY_MS);
  });

  afterAll(async () => {
    clearInterval(producing);
    await Promise.all(probes.map((p) => p.sender.stop()));
    await Promise.all(collectors.map((c) => c.kill("SIGKILL")));
    await store?.close();
    await new Promise((resolve) => webhook?.close(resolve));
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const sql = <T>(q: string): Promise<T[]> => store.query<T>(q);
  const collectorsOf = async (hostId: string): Promise<string[]> =>
    (await sql<{ c: string }>(`SELECT DISTINCT collector_id AS c FROM ingest_batches WHERE host_id = '${hostId}' ORDER BY c`)).map((r) => r.c);
  const incidentsOf = (hostId: string): Promise<{ id: string }[]> =>
    sql<{ id: string }>(`SELECT DISTINCT incident_id AS id FROM alerts WHERE rule = 'compromised-account' AND has(hosts, '${hostId}')`);
  /** "event incident-id" of each notification about a compromised-account incident on the host. */
  const notificationsOf = (hostId: string): string[] =>
    notified
      .map((body) => JSON.parse(body) as { event: string; incident: { id: string; rule: string; hosts: string[] } })
      .filter((n) => n.incident.rule === "compromised-account" && n.incident.hosts.includes(hostId))
      .map((n) => `${n.event} ${n.incident.id}`);

  it("splits the fleet over both collectors, moves c1's probes to c2 when c1 is killed, and loses or doubles nothing", async () => {
    const step = (what: string): void => void process.stdout.write(`failover step: ${what}\n`);
    await waitFor("every probe streaming", async () => (probes.every((p) => p.sender.connected) ? true : undefined), 60_000);
    await waitFor("batches stored through both collectors", async () => {
      const rows = await sql<{ n: string }>(`SELECT uniqExact(collector_id) AS n FROM ingest_batches`);
      return Number(rows[0]?.n) === 2 ? true : undefined;
    }, 30_000);
    // The early incident is found and notified before the kill.
    await waitFor("the early incident notified", async () => (notificationsOf(HOSTS[EARLY]!).length > 0 ? true : undefined), 60_000, 250);
    step("early incident notified");
    const onC1: string[] = [];
    for (const p of probes) if ((await collectorsOf(p.hostId)).join() === "c1") onC1.push(p.hostId);
    expect(onC1).toHaveLength(HOSTS.length / 2);

    await collectors[0]!.kill("SIGKILL");
    lateFrom = Date.now();
    await waitFor("c1's probes streaming to c2", async () => {
      for (const hostId of onC1) if ((await collectorsOf(hostId)).join() !== "c1,c2") return undefined;
      return probes.every((p) => p.sender.connected) ? true : undefined;
    }, 60_000, 250);
    step("c1's probes moved to c2");
    await waitFor("the late incident notified by c2", async () => (notificationsOf(HOSTS[LATE]!).length > 0 ? true : undefined), 60_000, 250);

    step("late incident notified");
    clearInterval(producing);
    await waitFor("every spool acknowledged", async () => (probes.every((p) => p.spool.size === 0) ? true : undefined), 120_000, 250);
    // Updates of open incidents must not notify again.
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const produced = probes.reduce((n, p) => n + p.produced, 0);
    const epochs = [...new Set(probes.map((p) => p.spool.epoch.toString()))];
    let batches = 0;
    for (const epoch of epochs) {
      const counts = await storedCounts(sql, epoch);
      expect({ doubled: counts.doubled, duplicateMarkers: counts.duplicateMarkers, short: counts.short, orphans: counts.orphans }).toEqual({ doubled: 0, duplicateMarkers: 0, short: 0, orphans: 0 });
      batches += counts.batches;
    }
    expect(batches).toBe(produced);
    // One notification per incident change: each incident opened once, no change sent twice (escalations are changes of their own).
    for (const index of [EARLY, LATE]) {
      const incidents = await incidentsOf(HOSTS[index]!);
      const sent = notificationsOf(HOSTS[index]!);
      expect(incidents.length).toBeGreaterThan(0);
      expect(sent.filter((n) => n.startsWith("open ")).sort()).toEqual(incidents.map((i) => `open ${i.id}`).sort());
      expect(new Set(sent).size).toBe(sent.length);
    }
    process.stdout.write(
      `failover: ${produced} batches produced by ${HOSTS.length} probes, ${batches} stored once each; ${onC1.length} probes moved from c1 to c2; ` +
        `${notified.length} notifications (${notificationsOf(HOSTS[EARLY]!).length} early, ${notificationsOf(HOSTS[LATE]!).length} late)\n`,
    );
  }, 400_000);
});
