import { appendFile, copyFile, readFile, rename, truncate, writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
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

const summary: (Omit<DeliveryLedger, "empty"> & { scenario: string })[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Now as a syslog timestamp ("Dec  7 02:04:30", UTC). */
const syslogStamp = (): string => {
  const t = new Date();
  return `${t.toLocaleString("en-US", { month: "short", timeZone: "UTC" })} ${String(t.getUTCDate()).padStart(2, " ")} ${t.toISOString().slice(11, 19)}`;
};

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
    // Units: batches, except the log rotation row, which counts log lines.
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
      probeExtra: { sockets: { sampleIntervalMs: 50, snapshotIntervalMs: 250 }, collector: { keepaliveMs: 1000 }, ...probeExtra },
    });
    try {
      let collector = await lab.startCollector();
      let probe = await lab.startProbe(hostId);
      await waitFor("first batches stored", async () => ((await spoolLastSeq(lab, hostId)) >= 5 && (await spoolPending(lab, hostId)) < 3 ? true : undefined), 20_000, 50).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; probe said:\n${probe.output().slice(-3000)}`);
      });
      await inject({ lab, collector: () => collector, setCollector: (c) => (collector = c), probe: () => probe, setProbe: (p) => (probe = p) });
      await waitFor("spool drained", async () => ((await spoolPending(lab, hostId)) <= 2 ? true : undefined), 60_000, 100).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; probe said:\n${probe.output().slice(-3000)}\ncollector said:\n${collector.output().slice(-3000)}`);
      });
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

  it("log rotation (rename and copytruncate), probe and collector killed (-9) during the stream: every line counted and every accepted message stored exactly once", { timeout: 180_000 }, async () => {
    const hostId = "fault-logs";
    const lab = await makeLab({
      store: server,
      probeHostIds: [hostId],
      ports: [smtpPort],
      probeExtra: { sockets: { snapshotIntervalMs: 200 } },
    });
    const log = join(lab.dir, "mail.log");
    await writeFile(log, "");
    const file = lab.probeConfigFile(hostId);
    const config = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    await writeFile(
      file,
      JSON.stringify({ ...config, mta: { kind: "postfix", logPaths: [log], windowMs: 1000, logStartAt: "start", queueIntervalMs: 0 } }),
    );
    try {
      let collector = await lab.startCollector();
      let probe = await lab.startProbe(hostId);
      const LINES = 3000;
      // One message accepted per 25-line append: its smtpd and qmgr lines (Postfix logs
      // "received" at qmgr's first from=) written together, as one write.
      const MESSAGES = LINES / 25;
      const qid = (n: number): string => (0xa0000000 + n).toString(16).toUpperCase();
      const line = (i: number): string => {
        return `${syslogStamp()} mx1 postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[192.0.2.77]: 554 5.7.1 <rcpt${i}@example.com>: Relay access denied; from=<spam@example.org> to=<rcpt${i}@example.com> proto=ESMTP helo=<x>\n`;
      };
      const accepted = (n: number): string =>
        `${syslogStamp()} mx1 postfix/smtpd[4243]: ${qid(n)}: client=unknown[192.0.2.79]\n${syslogStamp()} mx1 postfix/qmgr[4244]: ${qid(n)}: from=<m${n}@example.org>, size=1000, nrcpt=1 (queue active)\n`;
      for (let i = 0; i < LINES; i += 25) {
        await appendFile(log, Array.from({ length: 25 }, (_, k) => line(i + k)).join("") + accepted(i / 25));
        const step = i / 25;
        if (step === 30) {
          // logrotate's default: rename, and the daemon reopens a new file.
          await rename(log, `${log}.1`).catch(() => {});
          await writeFile(log, "");
        } else if (step === 60) {
          // logrotate copytruncate: copy, then truncate in place.
          await rename(`${log}.1`, `${log}.2`);
          await copyFile(log, `${log}.1`);
          await truncate(log, 0);
        } else if (step === 75) {
          // The probe restarts (SIGKILL) in the middle of the stream.
          await probe.kill("SIGKILL");
          probe = await lab.startProbe(hostId);
        } else if (step === 45 || step === 100) {
          // The collector dies (SIGKILL) with batches in flight; the probe re-sends from its spool.
          await collector.kill("SIGKILL");
          collector = await lab.startCollector();
        }
        await sleep(20);
      }
      const counted = async (): Promise<{ rejected: number; lines: number; messages: number; distinct: number }> => {
        const [w] = await lab.sql<{ n: number }>(
          `SELECT sum(rejected) AS n FROM ${lab.database}.mail_windows WHERE host_id = '${hostId}' AND identity_kind = 'client_ip' AND identity = '192.0.2.77'`,
        );
        const [l] = await lab.sql<{ n: number }>(`SELECT sum(lines) AS n FROM ${lab.database}.log_read_stats WHERE host_id = '${hostId}'`);
        const [m] = await lab.sql<{ n: number; d: number }>(`SELECT count() AS n, uniqExact(queue_id) AS d FROM ${lab.database}.messages WHERE host_id = '${hostId}'`);
        return { rejected: Number(w?.n ?? 0), lines: Number(l?.n ?? 0), messages: Number(m?.n ?? 0), distinct: Number(m?.d ?? 0) };
      };
      await waitFor("every line in ClickHouse", async () => ((await counted()).rejected >= LINES ? true : undefined), 60_000, 250).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; probe said:\n${probe.output().slice(-3000)}`);
      });
      await sleep(1500); // anything counted twice would arrive by now
      await probe.kill("SIGTERM");
      const final = await counted();
      summary.push({ scenario: "log rotation (rename x2, copytruncate, probe kill -9)", sent: LINES, stored: final.rejected, inSpool: 0, evictedReported: 0, duplicates: Math.max(0, final.rejected - LINES), lost: Math.max(0, LINES - final.rejected) });
      summary.push({ scenario: "same stream, collector kill -9 x2 (messages rows)", sent: MESSAGES, stored: final.messages, inSpool: 0, evictedReported: 0, duplicates: final.messages - final.distinct, lost: Math.max(0, MESSAGES - final.distinct) });
      expect(final).toEqual({ rejected: LINES, lines: LINES + 2 * MESSAGES, messages: MESSAGES, distinct: MESSAGES });
    } finally {
      await lab.close();
    }
  });

  it("probe killed (-9) while the log is being written, before and after its first batch: log_read_stats.lines sums to the lines written", { timeout: 180_000 }, async () => {
    const hostId = "fault-log-stats";
    const lab = await makeLab({ store: server, probeHostIds: [hostId], ports: [smtpPort], probeExtra: { sockets: { snapshotIntervalMs: 1000 } } });
    const log = join(lab.dir, "mail.log");
    // Like syslog under load: lines arrive in pieces (a write may end mid-line), and half of
    // them are informational (no window counter moves), so only the statistics can show them.
    const line = (i: number): string =>
      i % 2 === 0
        ? `${syslogStamp()} mx1 postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[192.0.2.78]: 554 5.7.1 <r${i}@example.com>: Relay access denied; from=<s@example.org> to=<r${i}@example.com> proto=ESMTP helo=<x>\n`
        : `${syslogStamp()} mx1 postfix/smtpd[4242]: disconnect from unknown[192.0.2.78] ehlo=1 mail=1 rcpt=0/1 commands=2/3\n`;
    // What the log held before the probe first started: the default logStartAt "end" skips it.
    await writeFile(log, Array.from({ length: 100 }, (_, i) => line(i + 1)).join(""));
    const file = lab.probeConfigFile(hostId);
    const config = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...config, mta: { kind: "postfix", logPaths: [log], windowMs: 1000, queueIntervalMs: 0 } }));
    try {
      await lab.startCollector();
      let probe = await lab.startProbe(hostId);
      const LINES = 4000;
      const writer = (async () => {
        for (let i = 0; i < LINES; i += 10) {
          const text = Array.from({ length: 10 }, (_, k) => line(i + k)).join("");
          const cut = 1 + Math.floor(Math.random() * (text.length - 1));
          await appendFile(log, text.slice(0, cut));
          await sleep(Math.random() < 0.5 ? 0 : 3);
          await appendFile(log, text.slice(cut));
          await sleep(5);
        }
      })();
      // Killed before its first batch (snapshot interval 1 s), after it, and before it again.
      for (const ms of [200, 1600, 300, 2300]) {
        await sleep(ms);
        await probe.kill("SIGKILL");
        probe = await lab.startProbe(hostId);
      }
      await writer;
      const counted = async (): Promise<{ rejected: number; lines: number }> => {
        const [w] = await lab.sql<{ n: number }>(
          `SELECT sum(rejected) AS n FROM ${lab.database}.mail_windows WHERE host_id = '${hostId}' AND identity_kind = 'client_ip' AND identity = '192.0.2.78'`,
        );
        const [l] = await lab.sql<{ n: number }>(`SELECT sum(lines) AS n FROM ${lab.database}.log_read_stats WHERE host_id = '${hostId}'`);
        return { rejected: Number(w?.n ?? 0), lines: Number(l?.n ?? 0) };
      };
      await waitFor("every line in ClickHouse", async () => ((await counted()).lines >= LINES ? true : undefined), 30_000, 250).catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}: ${JSON.stringify(await counted())} of ${LINES}; probe said:\n${probe.output().slice(-3000)}`);
      });
      await sleep(2500); // anything counted twice would arrive by now
      await probe.kill("SIGTERM");
      const final = await counted();
      summary.push({ scenario: "log written in pieces, probe kill -9 x4 (lines)", sent: LINES, stored: final.lines, inSpool: 0, evictedReported: 0, duplicates: Math.max(0, final.lines - LINES), lost: Math.max(0, LINES - final.lines) });
      expect(final).toEqual({ rejected: LINES / 2, lines: LINES });
    } finally {
      await lab.close();
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

