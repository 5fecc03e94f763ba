import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchSchema } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import { MailLogCollector, type MailLogHarvest } from "../collect/mail-log/mail-log-collector.js";
import { SocketAccumulator } from "../collect/sockets/accumulate-sockets.js";
import { ProbeMetrics } from "../metrics/probe-metrics.js";
import { DiskSpool, MIN_SPOOL_BYTES } from "../spool/disk-spool.js";
import { BatchPipeline } from "./batch-pipeline.js";
import { recoverCursorIntent } from "./cursor-intent.js";

// The batch path on real files: a log, the tailers' cursor files, the spool
// and the cursor intent. A "crash" is a stage that throws, after which every
// object is dropped and built again from the same folders, as a restart would.

let dir: string;
let log: string;
let written = 0;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "spamtrace-pipeline-"));
  log = join(dir, "mail.log");
  writeFileSync(log, "");
  written = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Appends n Postfix rejections (one counted under client 192.0.2.9 each). */
function writeLines(n: number): void {
  const lines = Array.from({ length: n }, (_, i) => `Dec  7 02:04:30 mx1 postfix/smtpd[42]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 <r${written + i}@example.com>: Relay access denied; from=<s@example.org> to=<r${written + i}@example.com> proto=ESMTP helo=<x>\n`);
  appendFileSync(log, lines.join(""));
  written += n;
}

const silent = pino({ level: "silent" });
const intentPath = (): string => join(dir, "spool", "cursor-intent.json");

/** A probe's batch path as runProbe builds it, from what is on disk now. */
async function start(o: { spool?: (dir: string) => DiskSpool; wrapLogs?: (h: MailLogHarvest) => MailLogHarvest } = {}) {
  const spool = o.spool?.(join(dir, "spool")) ?? new DiskSpool(join(dir, "spool"), MIN_SPOOL_BYTES);
  const recovered = await recoverCursorIntent(intentPath(), { epoch: spool.epoch, seq: spool.nextSeq() - 1n });
  const logs = new MailLogCollector({ paths: [log], stateDir: join(dir, "spool", "cursors"), mta: "postfix", windowMs: 60_000, startAt: "start", maxPollsPerCollect: 64, onWarning: () => undefined });
  await logs.open();
  const sockets = new SocketAccumulator(Date.now());
  const events: string[] = [];
  const wrap = o.wrapLogs ?? ((h) => h);
  const pipeline = new BatchPipeline({
    hostId: "h1",
    sockets,
    socketSource: "proc",
    logs: {
      collect: async () => {
        const harvest = wrap(await logs.collect());
        return {
          ...harvest,
          commit: async () => {
            events.push(`commit with ${spool.size} spooled`);
            await harvest.commit();
          },
        };
      },
    },
    takeQueueSnapshots: () => [],
    spool,
    intentPath: intentPath(),
    send: () => events.push("send"),
    metrics: new ProbeMetrics(),
    logger: silent,
  });
  /** One snapshot interval: a socket sample, then the batch. */
  const tick = async (): Promise<void> => {
    sockets.add([], Date.now());
    await pipeline.flush();
  };
  return { spool, pipeline, recovered, events, tick, close: () => logs.close() };
}

/** Lines and rejections over every batch in the spool. */
function spooled(spool: DiskSpool): { batches: number; lines: number; rejected: number } {
  let lines = 0;
  let rejected = 0;
  let batches = 0;
  for (const { bytes } of spool.pending()) {
    const batch = fromBinary(BatchSchema, bytes);
    batches++;
    for (const s of batch.logStats) lines += Number(s.lines);
    for (const w of batch.mailWindows) if (w.identityKind === "client_ip") rejected += w.rejected;
  }
  return { batches, lines, rejected };
}

/** Starts again after a crash, writes n more lines, makes one batch: what recovery did and what the spool holds. */
async function restartAndWrite(n: number): Promise<{ recovered: string; spooled: ReturnType<typeof spooled> }> {
  const restarted = await start();
  writeLines(n);
  await restarted.tick();
  await restarted.close();
  return { recovered: restarted.recovered, spooled: spooled(restarted.spool) };
}

describe("BatchPipeline", () => {
  it("sends log lines between snapshots in log-only batches, leaving the socket interval to the snapshot", async () => {
    const probe = await start();
    await probe.pipeline.flushLogs();
    expect(spooled(probe.spool).batches).toBe(0); // nothing new, nothing sent
    writeLines(5);
    await probe.pipeline.flushLogs();
    const [only] = probe.spool.pending();
    const batch = fromBinary(BatchSchema, only!.bytes);
    expect(batch.socketSnapshots).toEqual([]);
    expect(batch.mailWindows.filter((w) => w.identityKind === "client_ip").map((w) => w.rejected)).toEqual([5]);
    expect(probe.events).toEqual(["commit with 1 spooled", "send"]);
    await probe.tick();
    const batches = [...probe.spool.pending()].map((p) => fromBinary(BatchSchema, p.bytes));
    expect(batches.map((b) => b.socketSnapshots.length)).toEqual([0, 1]);
    expect(spooled(probe.spool)).toEqual({ batches: 2, lines: 5, rejected: 5 });
    await probe.close();
  });

  it("spools a batch, then commits its cursors, then tells the sender", async () => {
    const probe = await start();
    writeLines(30);
    await probe.tick();
    expect(probe.events).toEqual(["commit with 1 spooled", "send"]);
    expect(spooled(probe.spool)).toEqual({ batches: 1, lines: 30, rejected: 30 });
    expect(existsSync(intentPath())).toBe(false);
    await probe.close();
  });

  it("crash between spool and cursor commit: the restart commits the spooled batch's cursors and re-reads nothing", async () => {
    const crashing = await start({
      wrapLogs: (h) => ({
        ...h,
        commit: () => Promise.reject(new Error("killed")),
      }),
    });
    writeLines(40);
    await crashing.tick();
    expect(spooled(crashing.spool)).toMatchObject({ batches: 1, lines: 40 });
    expect(existsSync(intentPath())).toBe(true);
    await crashing.close();

    expect(await restartAndWrite(25)).toEqual({ recovered: "committed", spooled: { batches: 2, lines: 65, rejected: 65 } });
    expect(written).toBe(65);
  });

  it("crash after the intent, before the batch is spooled: the restart drops the intent and reads those lines again", async () => {
    class DyingSpool extends DiskSpool {
      override append(): void {
        throw new Error("killed");
      }
    }
    const crashing = await start({ spool: (d) => new DyingSpool(d, MIN_SPOOL_BYTES) });
    writeLines(40);
    await crashing.tick();
    expect(crashing.events).toEqual([]);
    await crashing.close();

    expect(await restartAndWrite(5)).toEqual({ recovered: "dropped", spooled: { batches: 1, lines: 45, rejected: 45 } });
  });

  it("an intent whose batch never reached the spool is dropped at start-up", async () => {
    const first = await start();
    writeLines(10);
    await first.tick();
    await first.close();
    // What a crash right after writing the intent of batch 2 leaves.
    const spool = new DiskSpool(join(dir, "spool"), MIN_SPOOL_BYTES);
    writeFileSync(intentPath(), JSON.stringify({ version: 1, epoch: spool.epoch.toString(), batchSeq: "2", cursors: [] }));
    const restarted = await start();
    expect(restarted.recovered).toBe("dropped");
    expect(existsSync(intentPath())).toBe(false);
    await restarted.close();
  });

  it("does not batch an interval without a socket sample, except the last one at stop", async () => {
    const probe = await start();
    writeLines(3);
    await probe.pipeline.flush();
    expect(probe.spool.size).toBe(0);
    await probe.pipeline.flushFinal();
    expect(spooled(probe.spool)).toEqual({ batches: 1, lines: 3, rejected: 3 });
    await probe.close();
  });
});
