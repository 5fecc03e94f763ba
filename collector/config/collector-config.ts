import { hostname } from "node:os";
import { z } from "zod";
import { idString } from "../../shared/config/id-string.js";
import { loadConfig } from "../../shared/config/load-config.js";
import { DEFAULT_COLLECTOR_GRPC_PORT } from "../../shared/grpc/ingest-service.js";
import { alertConfigSchemaFor } from "../alert/alert-config.js";
import { detectConfigSchema } from "../detect/detect-config.js";
import { dnsblConfigSchema } from "../dnsbl/dnsbl-config.js";
import { remediateConfigSchema } from "../remediate/remediate-config.js";
import { sshConfigSchema } from "../ssh/ssh-config.js";
import { RULE_NAMES } from "../detect/rule-catalog.js";
import { DEFAULT_QUERY_MAX_EXECUTION_TIME_MS, DEFAULT_QUERY_MAX_MEMORY_BYTES } from "../admin/query-limits.js";
import { DEFAULT_INGEST_LIMITS } from "../receive/grpc/validate-message.js";
import { relayCheckConfigSchema } from "../relay-check/relay-check-config.js";
import { suppressionConfigEntrySchema } from "../suppress/suppression.js";
import { DEFAULT_MESSAGE_RETENTION_DAYS } from "../store/clickhouse/migrations-messages.js";

/** Default admin/metrics HTTP port. */
export const DEFAULT_ADMIN_PORT = 7444;
/** Default retention of stored rows, days. */
export const DEFAULT_RETENTION_DAYS = 180;
/** Default ClickHouse request timeout, ms. */
export const DEFAULT_STORE_REQUEST_TIMEOUT_MS = 30_000;

const port = z.number().int().min(0).max(65535);

/** The `alert` section, accepting the names of the rules in collector/detect/rules/registry.ts. */
export const alertConfigSchema = alertConfigSchemaFor(RULE_NAMES);
/** One entry of alert.webhooks. */
export const webhookSinkSchema = alertConfigSchema.shape.webhooks.unwrap().element;
/** One entry of alert.email. */
export const emailSinkSchema = alertConfigSchema.shape.email.unwrap().element;

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "must be a ClickHouse identifier (letters, digits, _)");

/** `store.cluster`: where the shards are and what the cluster is called in the servers' <remote_servers>. */
const clusterConfigSchema = z.strictObject({
  /** Cluster name in the servers' <remote_servers> (the Distributed tables' first argument). */
  name: identifier,
  /**
   * HTTP URL of every server of the cluster (each replica of each shard). The
   * collector creates the local tables and the Distributed tables on each
   * (ClickHouse 18.16 runs ON CLUSTER DDL only with ZooKeeper).
   */
  nodes: z.array(z.url({ protocol: /^https?$/ })).min(1),
  /** Database of the local (per-shard) tables; default: store.database + "_local". */
  localDatabase: identifier.optional(),
  /** Local tables are ReplicatedMergeTree (needs <zookeeper> and <macros> {shard}, {replica} on every server). */
  replicated: z.boolean().default(false),
});

/** The collector's configuration schema; every key documented in docs/configuration.md. */
export const collectorConfigSchema = z.strictObject({
  /** Name of this collector instance, stored with every row it writes (default: hostname). */
  collectorId: idString(/^[A-Za-z0-9._-]{1,128}$/).default(hostname()),
  grpc: z
    .strictObject({
      /** Address the probe listener binds. */
      host: z.string().min(1).default("0.0.0.0"),
      /** Port the probe listener binds; 0 picks a free port. */
      port: port.default(DEFAULT_COLLECTOR_GRPC_PORT),
      /** Folder with ca.crt, collector.crt, collector.key as written by `spamtrace certs init`. */
      certsDir: z.string().min(1).default("var/certs"),
      /** CA certificate that signs probe certificates (default: certsDir/ca.crt). */
      caFile: z.string().min(1).optional(),
      /** Collector certificate (default: certsDir/collector.crt). */
      certFile: z.string().min(1).optional(),
      /** Collector private key (default: certsDir/collector.key). */
      keyFile: z.string().min(1).optional(),
      /** Plaintext without client certificates. Never in production; logged as a warning. */
      insecure: z.boolean().default(false),
      /** Revoked probe certificates: serial numbers or SHA-256 fingerprints (hex, colons optional). */
      revokedCertificates: z.array(z.string().regex(/^[0-9A-Fa-f:]{2,128}$/, "must be a hex serial number or SHA-256 fingerprint")).default([]),
    })
    .prefault({}),
  admin: z
    .strictObject({
      /** Address of the admin HTTP endpoint (/metrics, /healthz, /api/sql). Loopback by default. */
      host: z.string().min(1).default("127.0.0.1"),
      /** Port of the admin HTTP endpoint; 0 picks a free port. */
      port: port.default(DEFAULT_ADMIN_PORT),
      /** File holding the bearer token for /api/sql; created with a random token when missing. */
      tokenFile: z.string().min(1).default("var/admin.token"),
      /** Limits on analysts' queries (`spamtrace sql`, /api/sql), so that one cannot hurt ingest. */
      query: z
        .strictObject({
          /** Longest an analyst query may run, ms; rounded up to whole seconds (ClickHouse's unit). */
          maxExecutionTimeMs: z.number().int().min(1000).max(3_600_000).default(DEFAULT_QUERY_MAX_EXECUTION_TIME_MS),
          /** Most memory one analyst query may use, bytes. */
          maxMemoryBytes: z.number().int().min(16 * 1024 * 1024).max(1024 ** 4).default(DEFAULT_QUERY_MAX_MEMORY_BYTES),
        })
        .prefault({}),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** ClickHouse server URL (http://host:8123). When absent, the embedded engine is used. */
      url: z.url({ protocol: /^https?$/ }).optional(),
      /** ClickHouse user. */
      username: z.string().min(1).default("default"),
      /** File holding the ClickHouse password (else env SPAMTRACE_CLICKHOUSE_PASSWORD, else empty). */
      passwordFile: z.string().min(1).optional(),
      /** Database for spamtrace's tables. */
      database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/).default("spamtrace"),
      /** Data folder of the embedded engine (used when url is absent). */
      dataDir: z.string().min(1).default("var/clickhouse"),
      /** ClickHouse request timeout, ms. */
      requestTimeoutMs: z.number().int().min(1000).max(600_000).default(DEFAULT_STORE_REQUEST_TIMEOUT_MS),
      /** Rows of concurrent probe batches merged into one INSERT per table, at most. */
      insertMaxRows: z.number().int().min(1).max(1_000_000).default(50_000),
      /** Least time between two INSERTs into one table, ms: rows arriving meanwhile join the next one. */
      insertIntervalMs: z.number().int().min(0).max(10_000).default(200),
      /** Rows older than this many days are dropped. */
      retentionDays: z.number().int().min(1).max(3650).default(DEFAULT_RETENTION_DAYS),
      /** `messages` and `message_deliveries` rows (they name people's addresses) older than this many days are dropped. */
      messageRetentionDays: z.number().int().min(1).max(3650).default(DEFAULT_MESSAGE_RETENTION_DAYS),
      /** A ClickHouse cluster (deploy/clickhouse/README.md): tables sharded behind Distributed tables. */
      cluster: clusterConfigSchema.optional(),
    })
    .prefault({}),
  limits: z
    .strictObject({
      /** Largest probe message accepted, bytes. */
      maxMessageBytes: z.number().int().min(65_536).max(64 * 1024 * 1024).default(DEFAULT_INGEST_LIMITS.maxMessageBytes),
      /** Most sockets in one batch. */
      maxSocketsPerBatch: z.number().int().min(1).default(DEFAULT_INGEST_LIMITS.maxSocketsPerBatch),
      /** Longest string field from a probe, characters. */
      maxStringChars: z.number().int().min(64).default(DEFAULT_INGEST_LIMITS.maxStringChars),
      /** Most probe streams served at once; more get RESOURCE_EXHAUSTED and back off. */
      maxStreams: z.number().int().min(1).default(10_000),
      /**
       * Rows per second one probe stream may have stored on average; a stream above it waits before its next
       * batch is read (its probe keeps the rest in its spool), so one flooding probe cannot hold back the others.
       * A busy host sends a few hundred rows a second. 0 turns pacing off.
       */
      streamRowsPerSecond: z.number().int().min(0).default(5_000),
      /** Rows a stream may have stored at once before pacing starts: a reconnecting probe's backlog goes in at full speed up to this. */
      streamBurstRows: z.number().int().min(1).default(200_000),
      /** Allowed probe clock skew into the future, ms. */
      maxClockSkewMs: z.number().int().min(0).default(DEFAULT_INGEST_LIMITS.maxClockSkewMs),
    })
    .prefault({}),
  /** Detectors: run interval, trusted networks, thresholds per rule (collector/detect/README.md). */
  detect: detectConfigSchema.prefault({}),
  /** Incident notifications: webhooks, e-mail, per-rule severity and routing, rate limit, retries. */
  alert: alertConfigSchema.prefault({}),
  /** The opt-in active open-relay check (`spamtrace relay-check`, relayCheck.schedule). */
  relayCheck: relayCheckConfigSchema.prefault({}),
  /** Blacklist (DNSBL) checks of the fleet's outbound addresses (`spamtrace dnsbl`, dnsbl.schedule). */
  dnsbl: dnsblConfigSchema.prefault({}),
  /** How spamtrace reaches hosts over SSH (host keys from known_hosts only, key auth, sudo -n). */
  ssh: sshConfigSchema.prefault({}),
  /** `spamtrace remediate`: where evidence is kept, how much of the queue is read. */
  remediate: remediateConfigSchema.prefault({}),
  /**
   * Suppressions the abuse team controls (known NAT ranges, newsletter accounts, application servers):
   * a finding they cover is stored as an incident marked with the reason, not notified
   * (docs/suppressions.md; more live in the `suppressions` table, `spamtrace suppress`).
   */
  suppressions: z.array(suppressionConfigEntrySchema(RULE_NAMES)).default([]),
}).superRefine((config, ctx) => {
  // Against a server, the HTTP request would time out first: the client gives
  // up with a vague error while the server keeps computing.
  if (config.store.cluster !== undefined && config.store.url === undefined) {
    ctx.addIssue({ code: "custom", path: ["store", "url"], message: "is required with store.cluster: a server of the cluster, or a load balancer in front of them (the embedded engine is one node)" });
  }
  if (config.store.url !== undefined && config.admin.query.maxExecutionTimeMs >= config.store.requestTimeoutMs) {
    ctx.addIssue({
      code: "custom",
      path: ["admin", "query", "maxExecutionTimeMs"],
      message: `${config.admin.query.maxExecutionTimeMs} ms must be below store.requestTimeoutMs (${config.store.requestTimeoutMs} ms) when store.url is set, or the HTTP request times out before the query limit stops the query`,
    });
  }
});

/** Validated collector configuration. */
export type CollectorConfig = z.output<typeof collectorConfigSchema>;

/** Loads the collector config: flags > file > SPAMTRACE_COLLECTOR_* environment > defaults. */
export function loadCollectorConfig(file: string | undefined, overrides?: Record<string, unknown>, env?: NodeJS.ProcessEnv): CollectorConfig {
  return loadConfig(collectorConfigSchema, { file, envPrefix: "SPAMTRACE_COLLECTOR_", overrides, env });
}
