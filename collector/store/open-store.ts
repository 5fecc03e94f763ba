import { readFileSync } from "node:fs";
import { ChdbStore } from "./clickhouse/chdb-store.js";
import { ServerStore } from "./clickhouse/server-store.js";
import type { ClickHouseStore } from "./clickhouse/store.js";

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
  });
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
