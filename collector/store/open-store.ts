import { readFileSync } from "node:fs";
import { ChdbStore } from "./clickhouse/chdb-store.js";
import { ServerStore } from "./clickhouse/server-store.js";
import type { ClickHouseStore } from "./clickhouse/store.js";
import { migrateCluster } from "./clickhouse/cluster-schema.js";
import { migrate, type MigrationReport } from "./clickhouse/migrate.js";

/** The `store` section of the collector config, as far as opening the store goes (collector/config validates it). */
export interface StoreConfig {
  /** ClickHouse server URL; absent: the embedded engine. */
  url?: string | undefined;
  username: string;
  passwordFile?: string | undefined;
  database: string;
  /** The embedded engine's data folder. */
  dataDir: string;
  requestTimeoutMs: number;
  /** Rows older than this many days are dropped. */
  retentionDays: number;
  /** `messages` rows older than this many days are dropped; default DEFAULT_MESSAGE_RETENTION_DAYS. */
  messageRetentionDays?: number | undefined;
  /** A ClickHouse cluster: local tables behind Distributed tables (cluster-schema.ts). */
  cluster?: StoreClusterConfig | undefined;
}

/** `store.cluster`: the cluster's name in <remote_servers> and every server's HTTP URL. */
export interface StoreClusterConfig {
  name: string;
  nodes: readonly string[];
  /** Default: database + "_local". */
  localDatabase?: string | undefined;
  replicated: boolean;
}

/** Opens the configured store: a ClickHouse server when `store.url` is set, the embedded engine otherwise. */
export async function openStore(config: StoreConfig, env: NodeJS.ProcessEnv = process.env): Promise<ClickHouseStore> {
  if (config.url === undefined) return ChdbStore.open(config.dataDir, config.database);
  return ServerStore.open({
    url: config.url,
    username: config.username,
    password: readPassword(config.passwordFile, env),
    database: config.database,
    requestTimeoutMs: config.requestTimeoutMs,
    // Through Distributed tables an INSERT otherwise returns once the rows are
    // queued on the entry server, and the collector would acknowledge batches
    // that a shard has not stored yet. A subquery (IN, JOIN) over another
    // Distributed table runs once on the entry server and its result goes to
    // every shard ("global"), so fleet-wide questions get the one-node answer.
    ...(config.cluster ? { settings: { insert_distributed_sync: 1, distributed_product_mode: "global" } } : {}),
  });
}

/**
 * Creates or migrates the schema: in `store.database` on one server or the
 * embedded engine; with `store.cluster`, local tables and Distributed tables
 * on every node (cluster-schema.ts).
 */
export async function migrateStore(store: ClickHouseStore, config: StoreConfig, env: NodeJS.ProcessEnv = process.env): Promise<MigrationReport> {
  const cluster = config.cluster;
  const messageRetentionDays = config.messageRetentionDays;
  if (cluster === undefined) return migrate(store, { database: config.database, retentionDays: config.retentionDays, ...(messageRetentionDays === undefined ? {} : { messageRetentionDays }) });
  const localDatabase = cluster.localDatabase ?? `${config.database}_local`;
  const nodes: ClickHouseStore[] = [];
  try {
    for (const url of cluster.nodes) {
      nodes.push(
        await ServerStore.open({ url, username: config.username, password: readPassword(config.passwordFile, env), database: localDatabase, requestTimeoutMs: config.requestTimeoutMs }).catch((error: unknown) => {
          throw new Error(`store.cluster.nodes ${url}: ${(error as Error).message}`, { cause: error });
        }),
      );
    }
    return await migrateCluster(nodes, { cluster: cluster.name, database: config.database, localDatabase, retentionDays: config.retentionDays, ...(messageRetentionDays === undefined ? {} : { messageRetentionDays }), replicated: cluster.replicated });
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
}

// Secrets come from a file or the environment, never from the command line.
function readPassword(file: string | undefined, env: NodeJS.ProcessEnv): string {
  if (file !== undefined) {
    try {
      return readFileSync(file, "utf8").trim();
    } catch (error) {
      throw new Error(`store.passwordFile ${file} cannot be read: ${(error as Error).message}`);
    }
  }
  return env.SPAMTRACE_CLICKHOUSE_PASSWORD ?? "";
}
