import { readdir, readFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

const HOST = "crash-web1";
const KILLS = 3;

/** The probe's view: the last sequence number it spooled and the ones still unacknowledged. */
async function probeSpoolView(lab: Lab): Promise<{ epoch: string; lastSeq: number; pending: Set<number> }> {
  const dir = join(lab.dir, `spool-${HOST}`);
  const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as { epoch: string; lastSeq: string };
  const pending = new Set((await readdir(dir)).filter((n) => n.endsWith(".batch")).map((n) => Number.parseInt(n, 10)));
  return { epoch: state.epoch, lastSeq: Number(state.lastSeq), pending };
}

// The collector is killed with SIGKILL while the probe streams, several
// times. Afterwards every batch the probe let go of (acknowledged, so deleted
// from its spool) must be stored, and no batch may be stored twice.
describe.each([{ store: "embedded" as const }, { store: "clickhouse-server-18.16" as const }])("collector killed during a stream ($store)", ({ store }) => {
  let server: ClickHouseServer | undefined;
  let lab: Lab;
  let smtp: net.Server;

  beforeAll(async () => {
    if (store !== "embedded") server = await startClickHouseServer();
    const port = await freePort();
    // A listener on the watched port puts one socket row in every snapshot.
    smtp = net.createServer();
    await new Promise<void>((resolve) => smtp.listen(port, "127.0.0.1", resolve));
    lab = await makeLab({ store: server ?? "embedded", probeHostIds: [HOST], ports: [port], probeExtra: { sockets: { ports: [port], sampleIntervalMs: 50, snapshotIntervalMs: 100 } } });
  });

  afterAll(async () => {
    await new Promise((resolve) => smtp?.close(resolve));
    await lab?.close();
    await server?.stop();
  });

  it("loses no acknowledged batch and stores none twice", async () => {
    let collector = await lab.startCollector();
    const probe = await lab.startProbe(HOST);
    for (let kill = 0; kill < KILLS; kill++) {
      const before = (await probeSpoolView(lab)).lastSeq;
      // Let some batches flow, then kill the collector mid-stream.
      await waitFor("batches flowing", async () => ((await probeSpoolView(lab)).lastSeq >= before + 8 ? true : undefined), 20_000, 50);
      await collector.kill("SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 700)); // the probe keeps spooling meanwhile
      collector = await lab.startCollector();
    }
    // Let the probe drain its spool into the last collector, then stop it.
    await waitFor("spool drained", async () => ((await probeSpoolView(lab)).pending.size <= 2 ? true : undefined), 30_000, 100);
    await probe.kill("SIGTERM");
    const view = await probeSpoolView(lab);
    expect(view.lastSeq).toBeGreaterThan(KILLS * 8);

    const stored = await lab.sql<{ seq: number; markers: number; socket_rows: number }>(
      `SELECT batch_seq AS seq, count() AS markers, any(socket_rows) AS socket_rows FROM ${lab.database}.ingest_batches
       WHERE host_id = '${HOST}' AND stream_epoch = ${view.epoch} GROUP BY batch_seq ORDER BY batch_seq`,
    );
    const rows = await lab.sql<{ seq: number; n: number }>(
      `SELECT batch_seq AS seq, count() AS n FROM ${lab.database}.socket_snapshots
       WHERE host_id = '${HOST}' AND stream_epoch = ${view.epoch} GROUP BY batch_seq ORDER BY batch_seq`,
    );
    const storedSeqs = new Set(stored.map((r) => Number(r.seq)));
    const rowsBySeq = new Map(rows.map((r) => [Number(r.seq), Number(r.n)]));

    const lost: number[] = [];
    for (let seq = 1; seq <= view.lastSeq; seq++) if (!view.pending.has(seq) && !storedSeqs.has(seq)) lost.push(seq);
    expect(lost, "acknowledged batches missing from ClickHouse").toEqual([]);
    // Each stored batch's socket rows appear exactly once: a batch stored twice would double them.
    const doubled = stored.filter((r) => (rowsBySeq.get(Number(r.seq)) ?? 0) !== Number(r.socket_rows)).map((r) => Number(r.seq));
    expect(doubled, "batches whose socket rows were stored twice").toEqual([]);
    // Every snapshot holds at least one sample, so the listener is in every batch.
    expect(stored.filter((r) => Number(r.socket_rows) === 0).map((r) => Number(r.seq))).toEqual([]);
    console.log(`[${store}] ${KILLS} collector kills: probe spooled ${view.lastSeq} batches, ${storedSeqs.size} stored, ${view.pending.size} unacknowledged, 0 lost, 0 doubled`);
  });
});
