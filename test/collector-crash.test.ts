import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { deliveryLedger, spoolLastSeq, spoolPending } from "./setup/delivery-ledger.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

const HOST = "crash-web1";
const KILLS = 3;

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
    // 10 batches/s from one probe: more than one stream gets stored with the default group-commit interval
    // (store.insertIntervalMs 200: a stream's next batch waits for the previous one's INSERTs), so it is off here.
    lab = await makeLab({
      store: server ?? "embedded",
      probeHostIds: [HOST],
      ports: [port],
      probeExtra: { sockets: { sampleIntervalMs: 50, snapshotIntervalMs: 100 } },
      collectorExtra: { store: { insertIntervalMs: 0 } },
    });
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
      const before = await spoolLastSeq(lab, HOST);
      await waitFor("batches flowing", async () => ((await spoolLastSeq(lab, HOST)) >= before + 8 ? true : undefined), 20_000, 50);
      await collector.kill("SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 700)); // the probe keeps spooling meanwhile
      collector = await lab.startCollector();
    }
    // Bounded, not timed: on a loaded machine the store drains 10 batches/s more slowly than on an idle one.
    await waitFor("spool drained", async () => ((await spoolPending(lab, HOST)) <= 2 ? true : undefined), 120_000, 100);
    await probe.kill("SIGTERM");
    const ledger = await deliveryLedger(lab, HOST);
    expect(ledger.sent).toBeGreaterThan(KILLS * 8);
    expect(ledger).toMatchObject({ lost: 0, duplicates: 0, evictedReported: 0, empty: 0 });
    expect(ledger.stored + ledger.inSpool).toBe(ledger.sent);
  }, 300_000);
});
