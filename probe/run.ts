import { readFileSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { BatchSchema, HelloSchema, MtaInfoSchema, type Hello } from "../shared/gen/spamtrace/v1/ingest_pb.js";
import { moduleLogger } from "../shared/log/logger.js";
import { isMtaFamily } from "../shared/mta/mta-kinds.js";
import { SPAMTRACE_VERSION } from "../shared/version.js";
import { buildBatch, toSocketSnapshot } from "./batch/build-batch.js";
import { readHostInfo } from "./collect/host/read-host-info.js";
import { SocketAccumulator } from "./collect/sockets/accumulate-sockets.js";
import { openSocketSource } from "./collect/sockets/open-socket-source.js";
import type { ProbeConfig } from "./config/probe-config.js";
import { ProbeMetrics } from "./metrics/probe-metrics.js";
import { toAuthWindow, toLogReadStats, toMailWindow, toQueueSnapshot } from "./batch/build-mta-parts.js";
import { MailLogCollector, type MailLogHarvest } from "./collect/mail-log/mail-log-collector.js";
import { resolveMta } from "./collect/mta/resolve-mta.js";
import { readQueueSnapshot } from "./collect/queue/read-queue-snapshot.js";
import type { QueueSnapshot } from "./collect/queue/queue-snapshot.js";
import { GrpcSender, type ClientTls } from "./send/grpc-sender.js";
import { DiskSpool } from "./spool/disk-spool.js";

/** A running probe. */
export interface RunningProbe {
  hostId: string;
  /** Port of /metrics, or undefined when disabled. */
  metricsPort: number | undefined;
  /** Stops sampling and sending; spooled batches stay for the next start. */
  stop(): Promise<void>;
}

/**
 * The probe's main job: sample the socket table every sampleIntervalMs,
 * and every snapshotIntervalMs turn the samples into a batch, spool it
 * durably, and let the sender stream it to the collector.
 */
export async function runProbe(config: ProbeConfig): Promise<RunningProbe> {
  const logger = moduleLogger("probe");
  const host = readHostInfo(config.hostId);
  const tls = config.collector.insecure ? "insecure" : readClientTls(config.collector, host.hostId);
  if (tls === "insecure") logger.warn("collector connection is PLAINTEXT without a client certificate (insecure mode)");
  const spool = new DiskSpool(config.spool.dir, config.spool.maxBytes);
  const metrics = new ProbeMetrics();
  const readSockets = openSocketSource(config.sockets.source, config.sockets.ports);
  // The MTA's own commands (postqueue, exim -bp) inherit this environment.
  Object.assign(process.env, config.mta.commandEnv);
  const mta = await resolveMta(config.mta);
  logger.info({ mta: mta.kind, version: mta.version, logs: mta.logPaths, queue: mta.queuePath, evidence: mta.evidence }, "MTA");
  const mailLog =
    mta.logPaths.length > 0
      ? new MailLogCollector({
          paths: mta.logPaths,
          stateDir: join(config.spool.dir, "cursors"),
          mta: isMtaFamily(mta.kind) ? mta.kind : "auto",
          windowMs: config.mta.windowMs,
          startAt: config.mta.logStartAt,
          maxPollsPerCollect: 64,
          onWarning: (message) => logger.warn({ module: "logs" }, message),
        })
      : undefined;
  await mailLog?.open();
  const queued: QueueSnapshot[] = [];
  const hello = (): Hello =>
    create(HelloSchema, {
      hostId: host.hostId,
      hostname: host.hostname,
      ipAddresses: host.ipAddresses,
      os: host.os,
      kernel: host.kernel,
      probeVersion: SPAMTRACE_VERSION,
      mta: create(MtaInfoSchema, { kind: mta.kind, version: mta.version, binaryPaths: mta.binaryPaths, logPaths: mta.logPaths, queuePath: mta.queuePath }),
      bootTimeUnixMs: BigInt(host.bootTimeUnixMs),
      streamEpoch: spool.epoch,
    });
  const sender = new GrpcSender({
    address: config.collector.address,
    tls,
    spool,
    hello,
    logger: moduleLogger("send"),
    maxInFlight: config.collector.maxInFlight,
    keepaliveMs: config.collector.keepaliveMs,
    reconnectMinMs: config.collector.reconnectMinMs,
    reconnectMaxMs: config.collector.reconnectMaxMs,
    onAck: () => {
      metrics.batchesAcked.inc();
      metrics.spoolBytes.set(spool.bytes);
    },
  });

  const accumulator = new SocketAccumulator(Date.now());
  let sampling = false;
  const sampleTimer = setInterval(() => {
    if (sampling) return; // a slow sample (loaded host) skips a tick rather than piling up
    sampling = true;
    readSockets()
      .then((records) => {
        accumulator.add(records, Date.now());
        metrics.samples.inc({ result: "ok" });
      })
      .catch((error: unknown) => {
        metrics.samples.inc({ result: "failed" });
        logger.warn({ err: (error as Error).message }, "socket sample failed");
      })
      .finally(() => {
        sampling = false;
      });
  }, config.sockets.sampleIntervalMs);

  let evictedSeen = 0;
  let flushing = false;
  /** Builds a batch of everything gathered since the last one, spools it, then commits log cursors. */
  const flush = async (final = false): Promise<void> => {
    // A loaded host can make one sample outlast a snapshot interval: an empty
    // snapshot would claim no sockets, so the interval is extended instead.
    if (accumulator.sampleCount === 0 && !final) return;
    const now = Date.now();
    let harvest: MailLogHarvest | undefined;
    try {
      harvest = await mailLog?.collect();
    } catch (error) {
      logger.warn({ err: (error as Error).message }, "reading the MTA logs failed");
    }
    const interval = accumulator.drain(now);
    const seq = spool.nextSeq();
    const batch = buildBatch({
      hostId: host.hostId,
      epoch: spool.epoch,
      seq,
      nowMs: now,
      snapshots: interval.samples > 0 ? [toSocketSnapshot(interval, config.sockets.source)] : [],
      evictedTotal: spool.evictedTotal,
    });
    batch.queueSnapshots = queued.splice(0).map(toQueueSnapshot);
    if (harvest) {
      batch.mailWindows = harvest.identities.map(toMailWindow);
      batch.authWindows = harvest.auth.map(toAuthWindow);
      batch.logStats = harvest.stats.filter((s) => s.lines > 0 || s.rotations > 0).map(toLogReadStats);
    }
    const empty = batch.socketSnapshots.length + batch.queueSnapshots.length + batch.mailWindows.length + batch.authWindows.length + batch.logStats.length === 0;
    if (final && empty) return;
    try {
      spool.append(seq, toBinary(BatchSchema, batch));
    } catch (error) {
      logger.error({ err: (error as Error).message }, "cannot write batch to spool: snapshot lost");
      return;
    }
    await harvest?.commit();
    const newlyEvicted = spool.evictedTotal - evictedSeen;
    if (newlyEvicted > 0) {
      // The cumulative count goes to the collector in every later batch.
      evictedSeen = spool.evictedTotal;
      metrics.batchesEvicted.inc(newlyEvicted);
      logger.error({ evicted: newlyEvicted, spool_bytes: spool.bytes }, "spool full: oldest batches evicted");
    }
    metrics.batchesSpooled.inc();
    metrics.spoolBytes.set(spool.bytes);
    sender.kick();
  };
  const flushSerially = (final = false): Promise<void> => {
    if (flushing && !final) return Promise.resolve();
    flushing = true;
    return flush(final)
      .catch((error: unknown) => {
        // Nothing was spooled and no cursor committed: the same data is read again next time.
        logger.error({ err: (error as Error).message }, "building a batch failed");
      })
      .finally(() => {
        flushing = false;
      });
  };
  const queueTimer =
    config.mta.queueIntervalMs > 0 && mta.kind !== "none" && mta.kind !== "unknown"
      ? setInterval(() => {
          readQueueSnapshot(mta)
            .then((snapshot) => {
              if (snapshot) queued.push(snapshot);
            })
            .catch((error: unknown) => logger.warn({ err: (error as Error).message }, "queue snapshot failed"));
        }, config.mta.queueIntervalMs)
      : undefined;
  const snapshotTimer = setInterval(() => void flushSerially(), config.sockets.snapshotIntervalMs);
  const connectedTimer = setInterval(() => metrics.connected.set(sender.connected ? 1 : 0), 1000);

  const metricsServer = config.metrics.port >= 0 ? await metrics.listen(config.metrics.host, config.metrics.port) : undefined;
  sender.start();
  logger.info(
    { host_id: host.hostId, collector: config.collector.address, epoch: spool.epoch.toString(), pending: spool.size, source: config.sockets.source, ports: config.sockets.ports },
    "probe started",
  );
  return {
    hostId: host.hostId,
    metricsPort: metricsServer?.port,
    stop: async () => {
      clearInterval(sampleTimer);
      clearInterval(snapshotTimer);
      clearInterval(connectedTimer);
      clearInterval(queueTimer);
      // Open windows go out now rather than being re-read after the restart.
      while (flushing) await new Promise((resolve) => setTimeout(resolve, 20));
      await flushSerially(true);
      await mailLog?.close();
      await sender.stop();
      metricsServer?.server.close();
    },
  };
}

function readClientTls(collector: ProbeConfig["collector"], hostId: string): ClientTls {
  const read = (key: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(
        `collector.${key} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); make it with \`spamtrace certs init --probe ${hostId}\``,
      );
    }
  };
  return {
    ca: read("caFile", collector.caFile ?? join(collector.certsDir, "ca.crt")),
    cert: read("certFile", collector.certFile ?? join(collector.certsDir, `probe-${hostId}.crt`)),
    key: read("keyFile", collector.keyFile ?? join(collector.certsDir, `probe-${hostId}.key`)),
    serverName: collector.serverName,
  };
}
