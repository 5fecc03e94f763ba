import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { HelloSchema, type Hello } from "../shared/gen/spamtrace/v1/ingest_pb.js";
import { moduleLogger } from "../shared/log/logger.js";
import { isMtaFamily } from "../shared/mta/mta-kinds.js";
import { SPAMTRACE_VERSION } from "../shared/version.js";
import { readHostInfo, type HostInfo } from "./collect/host/read-host-info.js";
import { MailLogCollector } from "./collect/mail-log/mail-log-collector.js";
import { resolveScriptSources } from "./collect/scripts/resolve-script-sources.js";
import { killRunningCommands, runCommand, withCommandEnv } from "./collect/run-command.js";
import type { MtaDetection } from "./collect/mta/mta-detection.js";
import { HostFiles } from "./collect/mta/host-files.js";
import { readRelayPolicy } from "./collect/mta/relay/read-relay-policy.js";
import { resolveMta } from "./collect/mta/resolve-mta.js";
import { toMtaInfo } from "../shared/types/mta-message.js";
import { SocketAccumulator } from "./collect/sockets/accumulate-sockets.js";
import { openSocketSource } from "./collect/sockets/open-socket-source.js";
import { TcpOpenWatch } from "./collect/sockets/tcp-open-counter.js";
import type { ProbeConfig } from "./config/probe-config.js";
import { ProbeMetrics } from "./metrics/probe-metrics.js";
import { BatchPipeline } from "./pipeline/batch-pipeline.js";
import { recoverCursorIntent } from "./pipeline/cursor-intent.js";
import { RelayPolicyTracker } from "./pipeline/relay-policy-tracker.js";
import { sampleQueue } from "./pipeline/sample-queue.js";
import { sampleSockets, SOCKET_TABLE_IDLE_SHARE, SOCKET_TABLE_MAX_GAP_MS } from "./pipeline/sample-sockets.js";
import { readClientTls } from "./send/read-client-tls.js";
import { GrpcSender } from "./send/grpc-sender.js";
import { DiskSpool } from "./spool/disk-spool.js";
import { readMtaNames } from "./collect/mta/read-mta-names.js";

/** A running probe. */
export interface RunningProbe {
  hostId: string;
  /** Port of /metrics, or undefined when disabled. */
  metricsPort: number | undefined;
  /** Stops sampling and sending; spooled batches stay for the next start. */
  stop(): Promise<void>;
}

/** Log cursors live beside the spool: the cursor intent ties the two together. */
const CURSORS_DIR = "cursors";
const CURSOR_INTENT_FILE = "cursor-intent.json";
/** Longest wait for one MTA command while reading the relay policy (postconf, postmap -s, exim -bV). */
const RELAY_POLICY_TIMEOUT_MS = 20_000;
/** Longest the probe's start waits for the first relay policy read. */
const RELAY_POLICY_START_WAIT_MS = 5_000;

/**
 * The probe's main job, wired from its stages: sample the socket table every
 * sampleIntervalMs and the MTA queue every queueIntervalMs; every
 * snapshotIntervalMs the batch pipeline collects the logs, assembles a
 * batch, spools it, commits the log cursors and lets the sender stream it
 * to the collector (see probe/pipeline/batch-pipeline.ts for the order).
 */
export async function runProbe(config: ProbeConfig): Promise<RunningProbe> {
  const logger = moduleLogger("probe");
  const host = readHostInfo(config.hostId);
  const tls = config.collector.insecure ? "insecure" : readClientTls(config.collector, host.hostId);
  if (tls === "insecure") logger.warn("collector connection is PLAINTEXT without a client certificate (insecure mode)");
  const spool = new DiskSpool(config.spool.dir, config.spool.maxBytes);
  const metrics = new ProbeMetrics();
  // The MTA's own commands (postconf, postqueue, exim -bp) get mta.commandEnv; the probe's environment stays as it was.
  const run = withCommandEnv(runCommand, config.mta.commandEnv);
  const { mta, warnings } = await resolveMta(config.mta, run);
  for (const warning of warnings) logger.warn({ module: "mta" }, warning);
  const mtaNames = await readMtaNames(mta, run, config.mta.names);
  logger.info({ mta: mta.kind, version: mta.version, logs: mta.logPaths, queue: mta.queuePath, names: mtaNames, evidence: mta.evidence }, "MTA");

  // Served domains and permitted networks: what makes a delivery relaying (see RelayCounter).
  const relayPolicy = new RelayPolicyTracker(async () => {
    const evidence: string[] = [];
    const policy = await readRelayPolicy(mta, new HostFiles(), run, RELAY_POLICY_TIMEOUT_MS, evidence);
    if (policy === null) logger.warn({ module: "mta", evidence }, "no MTA relay policy: relayed mail is judged by the collector from delivery lines");
    return policy;
  }, logger);
  // Sampling must not wait on a slow MTA command: past a few seconds the policy joins a later batch.
  await Promise.race([relayPolicy.refresh(), new Promise((resolve) => setTimeout(resolve, RELAY_POLICY_START_WAIT_MS).unref())]);
  const stopRelayPolicy = relayPolicy.start(config.mta.relayPolicyIntervalMs);

  const intentPath = join(config.spool.dir, CURSOR_INTENT_FILE);
  const recovered = await recoverCursorIntent(intentPath, { epoch: spool.epoch, seq: spool.nextSeq() - 1n });
  if (recovered !== "none") logger.info({ recovered }, "log cursors of the batch spooled before the last crash");
  const scripts = await resolveScriptSources(config.scripts, mta, run);
  const logs =
    mta.logPaths.length > 0
      ? new MailLogCollector({
          paths: mta.logPaths,
          stateDir: join(config.spool.dir, CURSORS_DIR),
          mta: isMtaFamily(mta.kind) ? mta.kind : "auto",
          windowMs: config.mta.windowMs,
          startAt: config.mta.logStartAt,
          maxPollsPerCollect: 64,
          scripts,
          onWarning: (message) => logger.warn({ module: "logs" }, message),
          relayJudge: relayPolicy.currentJudge,
        })
      : undefined;
  await logs?.open();
  if (logs) logger.info({ module: "scripts", ...logs.scriptSources }, "script evidence");
  metrics.watchAttribution(() => logs?.attribution);

  const sender = new GrpcSender({
    addresses: [config.collector.address].flat(),
    tls,
    spool,
    hello: () => hello(host, mta, mtaNames, spool.epoch),
    logger: moduleLogger("send"),
    maxInFlight: config.collector.maxInFlight,
    keepaliveMs: config.collector.keepaliveMs,
    reconnectMinMs: config.collector.reconnectMinMs,
    reconnectMaxMs: config.collector.reconnectMaxMs,
    onAck: () => {
      metrics.batchesAcked.inc();
      metrics.spoolBytes.set(spool.bytes);
    },
    onSetAside: () => {
      metrics.batchesSetAside.inc();
      metrics.spoolBytes.set(spool.bytes);
    },
  });
  const sockets = new SocketAccumulator(Date.now());
  // With /proc, the socket table is read when /proc/net/snmp shows a new connection (cheap), not on every tick.
  const opens = config.sockets.source === "proc" ? new TcpOpenWatch() : undefined;
  const stopSampling = sampleSockets({
    read: openSocketSource(config.sockets.source, config.sockets.ports),
    into: sockets,
    // lsof costs a process spawn and a walk of every fd on the host: never more than once a second.
    intervalMs: opens === undefined ? Math.max(config.sockets.sampleIntervalMs, 1000) : config.sockets.sampleIntervalMs,
    check: opens === undefined ? undefined : () => opens.check(),
    maxGapMs: Math.min(SOCKET_TABLE_MAX_GAP_MS, config.sockets.snapshotIntervalMs),
    // A host whose TCP counters stand still is read a little more often than it is snapshotted (each snapshot
    // interval holds a read, see SOCKET_TABLE_IDLE_SHARE), not every 2 s: its table has not changed.
    idleGapMs: config.sockets.snapshotIntervalMs * SOCKET_TABLE_IDLE_SHARE,
    metrics,
    logger,
  });
  const queue = sampleQueue({ mta, run, intervalMs: config.mta.queueIntervalMs, checkIntervalMs: config.mta.queueCheckIntervalMs, logger });
  const pipeline = new BatchPipeline({
    hostId: host.hostId,
    sockets,
    socketSource: config.sockets.source,
    logs,
    takeQueueSnapshots: () => queue.take(),
    spool,
    intentPath,
    send: () => sender.kick(),
    metrics,
    logger,
    relayPolicy,
  });
  const snapshotTimer = setInterval(() => void pipeline.flush(), config.sockets.snapshotIntervalMs);
  const logFlushTimer = config.mta.logFlushIntervalMs > 0 ? setInterval(() => void pipeline.flushLogs(), config.mta.logFlushIntervalMs) : undefined;
  metrics.watchConnected(() => sender.connected);

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
      stopSampling();
      stopRelayPolicy();
      queue.stop();
      // A queue listing or an lsof still running would hold the exit back until its timeout.
      killRunningCommands();
      clearInterval(snapshotTimer);
      clearInterval(logFlushTimer);
      // Open windows go out now rather than being re-read after the restart.
      await pipeline.flushFinal();
      await logs?.close();
      await sender.stop();
      metricsServer?.server.close();
    },
  };
}

/** The Hello that opens every stream: who this host is and what MTA it runs. */
function hello(host: HostInfo, mta: MtaDetection, mtaNames: string[], epoch: bigint): Hello {
  return create(HelloSchema, {
    hostId: host.hostId,
    hostname: host.hostname,
    ipAddresses: host.ipAddresses,
    os: host.os,
    kernel: host.kernel,
    probeVersion: SPAMTRACE_VERSION,
    mta: { ...toMtaInfo(mta), mtaNames },
    bootTimeUnixMs: BigInt(host.bootTimeUnixMs),
    streamEpoch: epoch,
  });
}
