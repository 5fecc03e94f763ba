import { readTlsFiles } from "../shared/grpc/read-tls-files.js";
import { moduleLogger } from "../shared/log/logger.js";
import { SPAMTRACE_VERSION } from "../shared/version.js";
import { startAdminServer } from "./admin/admin-server.js";
import { ensureAdminToken } from "./admin/admin-token.js";
import { CollectorMetrics } from "./admin/metrics.js";
import type { CollectorConfig } from "./config/collector-config.js";
import { startPipeline } from "./pipeline/start-pipeline.js";
import { startMessagePruner } from "./store/prune-messages.js";
import { checkDnsblRequest, startDnsblChecker } from "./dnsbl/scheduled-dnsbl-check.js";
import { checkRemediationRows } from "./remediate/remediation-rows.js";
import { checkSuppressionRows } from "./suppress/suppression-rows.js";
import { ClaimBoard } from "./incidents/claim.js";
import { startGrpcServer, type ServerTls } from "./receive/grpc/grpc-server.js";
import { normaliseCertificateId } from "./receive/grpc/ingest-handler.js";
import { BatchWriter } from "./store/batch-writer.js";
import { InsertBatcher } from "./store/insert-batcher.js";
import type { ClickHouseStore } from "./store/clickhouse/store.js";
import { migrateStore, openStore } from "./store/open-store.js";

/** A running collector. */
export interface RunningCollector {
  /** Port of the gRPC probe listener. */
  grpcPort: number;
  /** Port of the admin HTTP endpoint. */
  adminPort: number;
  store: ClickHouseStore;
  /** Stops listeners, then closes the store. */
  close(): Promise<void>;
}

/** Starts the collector: store + schema, gRPC receiver, admin endpoint. */
export async function serveCollector(config: CollectorConfig): Promise<RunningCollector> {
  const logger = moduleLogger("collector");
  const tls = config.grpc.insecure ? "insecure" : readServerTls(config.grpc);
  const store = await openStore(config.store);
  try {
    const report = await migrateStore(store, config.store);
    logger.info(
      { store: store.kind, version: report.dialect.version, applied: report.applied, where: config.store.url ?? config.store.dataDir },
      "store ready",
    );
    const metrics = new CollectorMetrics();
    const grpc = await startGrpcServer(
      { host: config.grpc.host, port: config.grpc.port, tls, logger: moduleLogger("grpc") },
      {
        writer: new BatchWriter(store, config.collectorId, new InsertBatcher(store, { maxRows: config.store.insertMaxRows, minIntervalMs: config.store.insertIntervalMs })),
        metrics,
        limits: config.limits,
        collectorVersion: SPAMTRACE_VERSION,
        revoked: new Set(config.grpc.revokedCertificates.map(normaliseCertificateId)),
        maxStreams: config.limits.maxStreams,
        rowBudget: { rowsPerSecond: config.limits.streamRowsPerSecond, burstRows: config.limits.streamBurstRows },
      },
    );
    const dnsbl = startDnsblChecker({
      store,
      config: config.dnsbl,
      collectorId: config.collectorId,
      claims: new ClaimBoard(store, config.collectorId, config.detect.claimSettleMs),
      logger: moduleLogger("dnsbl"),
    });
    const admin = await startAdminServer({
      host: config.admin.host,
      port: config.admin.port,
      token: ensureAdminToken(config.admin.tokenFile),
      store,
      queryLimits: config.admin.query,
      metrics,
      logger: moduleLogger("admin"),
      actions: {
        "/api/dnsbl": (body) => dnsbl.runNow("command", checkDnsblRequest(body).addresses),
        "/api/remediation": async (body) => {
          const { table, rows } = checkRemediationRows(body);
          await store.insert(table, rows);
          return { inserted: rows.length };
        },
        "/api/suppressions": async (body) => {
          const rows = checkSuppressionRows(body);
          await store.insert("suppressions", rows);
          return { inserted: rows.length };
        },
      },
    });
    const pruner = startMessagePruner({ store, days: config.store.messageRetentionDays, logger: moduleLogger("retention") });
    const detection = startPipeline({
      store,
      collectorId: config.collectorId,
      detect: config.detect,
      alert: config.alert,
      relayCheck: config.relayCheck,
      suppressions: config.suppressions,
      registry: metrics.registry,
    });
    logger.info({ grpc_port: grpc.port, admin_port: admin.port, admin_host: config.admin.host }, "collector listening");
    return {
      grpcPort: grpc.port,
      adminPort: admin.port,
      store,
      close: async () => {
        await detection.stop();
        await pruner.stop();
        await dnsbl.stop();
        await grpc.stop();
        await admin.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

function readServerTls(grpc: CollectorConfig["grpc"]): ServerTls {
  return readTlsFiles(grpc, { configSection: "grpc", certName: "collector", fix: `run \`spamtrace certs init --dir ${grpc.certsDir}\` or set grpc.insecure for plaintext` });
}
