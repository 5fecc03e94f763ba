import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certsInit } from "../../collector/certs/certs-init.js";
import { loadCollectorConfig, type CollectorConfig } from "../../collector/config/collector-config.js";
import { runSql } from "../../collector/query/run-sql.js";
import type { Row } from "../../collector/store/clickhouse/store.js";
import { startCli, type CliProcess } from "./cli-process.js";
import type { ClickHouseServer } from "./clickhouse-server.js";
import { registerDiagnostic, tail } from "./failure-diagnostics.js";
import { freePort } from "./free-port.js";

/** Options for a lab: where the collector stores, and which probes exist. */
export interface LabOptions {
  /** "embedded" (chdb in a tmp folder) or a running ClickHouse server. */
  store: "embedded" | ClickHouseServer;
  /** Host ids that get probe certificates. */
  probeHostIds: string[];
  /** Ports the probes watch. */
  ports: number[];
  /** Database name (unique per test when sharing a server). */
  database?: string;
  /** Extra collector config keys, deep-merged into the generated file. */
  collectorExtra?: Record<string, unknown>;
  /** gRPC port of the collector (default: a free port). */
  grpcPort?: number;
  /** Extra probe config keys, deep-merged into the generated file (per host id when a function). */
  probeExtra?: Record<string, unknown> | ((hostId: string) => Record<string, unknown>);
}

/** A collector and probes configured in a temporary folder, run as real processes through the CLIs. */
export interface Lab {
  dir: string;
  certsDir: string;
  grpcPort: number;
  adminPort: number;
  collectorConfigFile: string;
  collectorConfig: CollectorConfig;
  database: string;
  probeConfigFile(hostId: string): string;
  /** Replaces the `mta` section of a probe's config (before startProbe). */
  setProbeMta(hostId: string, mta: Record<string, unknown>): Promise<void>;
  /** Starts `spamtrace serve` and waits until it listens. */
  startCollector(): Promise<CliProcess>;
  /** Starts `spamtrace-probe run` for a host id. */
  startProbe(hostId: string): Promise<CliProcess>;
  /** Runs a read-only query the way `spamtrace sql` does. */
  sql<T = Row>(query: string): Promise<T[]>;
  /** Kills every process started and removes the folder. */
  close(): Promise<void>;
}

/** Creates a lab: certificates, collector config, one probe config per host id. */
export async function makeLab(opts: LabOptions): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), "spamtrace-lab-"));
  const certsDir = join(dir, "certs");
  await certsInit({ dir: certsDir, probeHostIds: opts.probeHostIds });
  const grpcPort = opts.grpcPort ?? (await freePort());
  const adminPort = await freePort();
  const database = opts.database ?? `st_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const collectorConfigFile = join(dir, "collector.json");
  await writeFile(
    collectorConfigFile,
    JSON.stringify(
      mergeDeep(
        {
          collectorId: "lab-collector",
          grpc: { host: "127.0.0.1", port: grpcPort, certsDir },
          admin: { host: "127.0.0.1", port: adminPort, tokenFile: join(dir, "admin.token") },
          store: opts.store === "embedded" ? { dataDir: join(dir, "chdb"), database } : { url: opts.store.url, database },
        },
        opts.collectorExtra ?? {},
      ),
    ),
  );
  for (const hostId of opts.probeHostIds) {
    await writeFile(
      join(dir, `probe-${hostId}.json`),
      JSON.stringify(
        mergeDeep(
          {
            hostId,
            collector: { address: `127.0.0.1:${grpcPort}`, certsDir, reconnectMinMs: 100, reconnectMaxMs: 1000, serverName: "localhost" },
            sockets: { ports: opts.ports, sampleIntervalMs: 100, snapshotIntervalMs: 500 },
            spool: { dir: join(dir, `spool-${hostId}`) },
            metrics: { port: 0 },
          },
          (typeof opts.probeExtra === "function" ? opts.probeExtra(hostId) : opts.probeExtra) ?? {},
        ),
      ),
    );
  }
  const collectorConfig = loadCollectorConfig(collectorConfigFile, undefined, {});
  const started: CliProcess[] = [];
  const unregister: (() => void)[] = [];
  return {
    dir,
    certsDir,
    grpcPort,
    adminPort,
    collectorConfigFile,
    collectorConfig,
    database,
    probeConfigFile: (hostId) => join(dir, `probe-${hostId}.json`),
    setProbeMta: async (hostId, mta) => {
      const file = join(dir, `probe-${hostId}.json`);
      const config = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
      await writeFile(file, JSON.stringify({ ...config, mta }));
    },
    startCollector: async () => {
      const collector = startCli("spamtrace", ["serve", "--config", collectorConfigFile], { cwd: dir });
      started.push(collector);
      unregister.push(registerDiagnostic(`collector (${database})`, () => tail(collector.output())));
      await collector.waitForOutput(/collector listening/, 60_000);
      return collector;
    },
    startProbe: async (hostId) => {
      const probe = startCli("spamtrace-probe", ["run", "--config", join(dir, `probe-${hostId}.json`)], { cwd: dir });
      started.push(probe);
      unregister.push(registerDiagnostic(`probe ${hostId}`, () => tail(probe.output())));
      // MTA detection runs postconf and friends: tens of seconds on a loaded machine (load 25 on 2 cores seen).
      await probe.waitForOutput(/probe started/, 90_000);
      return probe;
    },
    sql: (query) => runSql(collectorConfig, query) as Promise<never>,
    close: async () => {
      for (const off of unregister) off();
      await Promise.all(started.map((p) => p.kill("SIGKILL")));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function mergeDeep(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const prior = out[key];
    const bothObjects = [prior, value].every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
    out[key] = bothObjects ? mergeDeep(prior as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}
