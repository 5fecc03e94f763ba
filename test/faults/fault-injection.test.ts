import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClickHouseServer, type ClickHouseServer } from "../setup/clickhouse-server.js";
import type { CliProcess } from "../setup/cli-process.js";
import { deliveryLedger, spoolLastSeq, spoolPending, type DeliveryLedger } from "../setup/delivery-ledger.js";
import { freePort } from "../setup/free-port.js";
import { makeLab, type Lab } from "../setup/spamtrace-lab.js";
import { startCuttableProxy } from "../setup/tcp-proxy.js";
import { waitFor } from "../setup/wait-for.js";

// The fault-injection suite: each scenario streams batches from a real probe
// to a real collector on Debian's ClickHouse 18.16, breaks something, and
// afterwards counts every batch: stored, still spooled, evicted (reported),
// duplicated, silently lost. Summary table printed at the end.

const summary: (DeliveryLedger & { scenario: string })[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("fault injection", () => {
  let server: ClickHouseServer;
  let smtp: net.Server;
  let smtpPort: number;
  const extraSockets: net.Socket[] = [];

  beforeAll(async () => {
    server = await startClickHouseServer();
    smtpPort = await freePort();
    // A listener on the watched port puts at least one socket row in every snapshot.
    smtp = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    for (const s of extraSockets) s.destroy();
    await new Promise((resolve) => smtp?.close(resolve));
    await server?.stop();
    const header = ["scenario", "sent", "stored", "in spool", "evicted (reported)", "duplicates", "lost"];
    const rows = summary.map((r) => [r.scenario, r.sent, r.stored, r.inSpool, r.evictedReported, r.duplicates, r.lost].map(String));
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
    console.log(["", "fault-injection summary (batches):", line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
  });

  /** Runs one scenario in a lab of its own and checks its ledger. */
  async function scenario(
    name: string,
    hostId: string,
    inject: (ctx: { lab: Lab; collector: () => CliProcess; setCollector: (c: CliProcess) => void; probe: () => CliProcess; setProbe: (p: CliProcess) => void }) => Promise<void>,
    probeExtra: Record<string, unknown> = {},
    grpcPort?: number,
  ): Promise<DeliveryLedger> {
    const lab = await makeLab({
      ...(grpcPort === undefined ? {} : { grpcPort }),
      store: server,
      probeHostIds: [hostId],
      ports: [smtpPort],
      probeExtra: { sockets: { sampleIntervalMs: 50, snapshotIntervalMs: 100 }, collector: { keepaliveMs: 1000 }, ...probeExtra },
    });
    try {
      let collector = await lab.startCollector();
      let probe = await lab.startProbe(hostId);
      await waitFor("first batches stored", async () => ((await spoolLastSeq(lab, hostId)) >= 5 && (await spoolPending(lab, hostId)) < 3 ? true : undefined), 20_000, 50);
      await inject({ lab, collector: () => collector, setCollector: (c) => (collector = c), probe: () => probe, setProbe: (p) => (probe = p) });
      await waitFor("spool drained", async () => ((await spoolPending(lab, hostId)) <= 2 ? true : undefined), 60_000, 100);
      await probe.kill("SIGTERM");
      const ledger = await deliveryLedger(lab, hostId);
      summary.push({ scenario: name, ...ledger });
      expect(ledger.duplicates).toBe(0);
      expect(ledger.lost).toBe(0);
      expect(ledger.empty).toBe(0);
      // An evicted batch may already have been stored (stored, then the ack was
      // lost with the collector), so evictions bound the loss from above.
      if (ledger.evictedReported === 0) expect(ledger.stored + ledger.inSpool).toBe(ledger.sent);
      else expect(ledger.sent - ledger.stored - ledger.inSpool).toBeLessThanOrEqual(ledger.evictedReported);
      return ledger;
    } finally {
      await lab.close();
    }
  }

  it("collector killed (-9) and restarted repeatedly", async () => {
    await scenario("collector kill -9 x3", "fault-collector", async ({ lab, collector, setCollector }) => {
      for (let i = 0; i < 3; i++) {
        await collector().kill("SIGKILL");
        await sleep(600);
        setCollector(await lab.startCollector());
        await sleep(800);
      }
    });
  });

  it("ClickHouse server stopped for longer than a batch interval, then restarted", async () => {
    const ledger = await scenario("clickhouse down 4 s", "fault-clickhouse", async ({ lab }) => {
      const before = await spoolLastSeq(lab, "fault-clickhouse");
      await server.kill();
      await sleep(4000);
      // Batches kept coming while ClickHouse was down; they waited in the spool.
      expect(await spoolLastSeq(lab, "fault-clickhouse")).toBeGreaterThan(before + 10);
      await server.restart();
    });
    expect(ledger.evictedReported).toBe(0);
  });

  it("probe killed (-9) mid-batch and restarted", async () => {
    await scenario("probe kill -9 x3", "fault-probe", async ({ lab, probe, setProbe }) => {
      for (let i = 0; i < 3; i++) {
        await sleep(500 + i * 137);
        await probe().kill("SIGKILL");
        setProbe(await lab.startProbe("fault-probe"));
      }
    });
  });

  it("network cut between probe and collector, then restored", { timeout: 180_000 }, async () => {
    let proxy: Awaited<ReturnType<typeof startCuttableProxy>> | undefined;
    const grpcPort = await freePort();
    proxy = await startCuttableProxy(grpcPort);
    try {
      await scenario(
        "network cut 5 s",
        "fault-network",
        async ({ lab }) => {
          expect(lab.grpcPort).toBe(grpcPort);
          const before = await spoolLastSeq(lab, "fault-network");
          proxy!.cut();
          await sleep(5000);
          expect(await spoolPending(lab, "fault-network")).toBeGreaterThan(10);
          expect(await spoolLastSeq(lab, "fault-network")).toBeGreaterThan(before + 10);
          proxy!.restore();
        },
        { collector: { address: `127.0.0.1:${proxy.port}`, keepaliveMs: 1000 } },
        grpcPort,
      );
    } finally {
      await proxy?.close();
    }
  });

  it("spool full: evictions are counted, reported to the collector, and nothing else is lost", { timeout: 180_000 }, async () => {
    // 150 open connections (300 sockets) make each snapshot large enough to fill a 1 MiB spool in seconds.
    for (let i = 0; i < 150; i++) extraSockets.push(net.connect(smtpPort, "127.0.0.1").on("error", () => {}));
    try {
      const ledger = await scenario(
        "spool full (1 MiB), collector down",
        "fault-spool",
        async ({ lab, collector, setCollector, probe }) => {
          await collector().kill("SIGTERM");
          await probe().waitForOutput(/spool full: oldest batches evicted/, 60_000);
          await sleep(1000);
          setCollector(await lab.startCollector());
        },
        { spool: { maxBytes: 1024 * 1024 } },
      );
      expect(ledger.evictedReported).toBeGreaterThan(0);
    } finally {
      for (const s of extraSockets.splice(0)) s.destroy();
    }
  });
});

