import { migrate, type MigrationReport } from "./migrate.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { quoteIdentifier, quoteString } from "./sql-literal.js";
import type { ClickHouseStore } from "./store.js";

/** The schema of a cluster: local tables on every node, Distributed tables over them. */
export interface ClusterSchemaOptions {
  /** Cluster name in the servers' <remote_servers>. */
  cluster: string;
  /** Database the collector and analysts use: the Distributed tables. */
  database: string;
  /** Database of the local (per-shard) tables. */
  localDatabase: string;
  retentionDays: number;
  /** Days `messages` rows are kept. */
  messageRetentionDays?: number;
  /** Local tables as ReplicatedMergeTree, paths from the servers' {shard} and {replica} macros. */
  replicated: boolean;
}

/**
 * Creates the schema on every node of a cluster without ON CLUSTER (which
 * ClickHouse 18.16 runs only with ZooKeeper): on each node, the usual
 * migrations in `localDatabase` (the tables that hold the rows), then in
 * `database` one Distributed table per local table, named alike, so every
 * query and insert of the collector and of analysts is unchanged. Any node
 * can then be the entry point (`store.url`).
 *
 * Rows are sharded by the key that must stay together: a host's rows on one
 * shard (a batch is all-or-nothing per shard, so a retried batch is found
 * whole or not at all; ReplacingMergeTree versions of a host meet), an
 * incident's versions, a claim's rivals.
 */
export async function migrateCluster(
  nodes: readonly ClickHouseStore[],
  opts: ClusterSchemaOptions,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  if (nodes.length === 0) throw new Error("store.cluster.nodes is empty");
  const local = [...(opts.replicated ? migrations.map((m) => replicatedMigration(m, opts.localDatabase)) : migrations)].sort((a, b) => a.version - b.version);
  const schema = { database: opts.localDatabase, retentionDays: opts.retentionDays, ...(opts.messageRetentionDays === undefined ? {} : { messageRetentionDays: opts.messageRetentionDays }) };
  let first: MigrationReport | undefined;
  // One version at a time on every node: a replica created after another
  // replica's ALTER (migration 6 adds a column) would declare the old columns
  // and ClickHouse refuses it ("Table structure in ZooKeeper is too different").
  for (let upTo = 1; upTo <= local.length; upTo++) {
    for (const [i, node] of nodes.entries()) {
      const report = await migrate(node, schema, local.slice(0, upTo));
      if (i === 0) first = first === undefined ? report : { dialect: report.dialect, applied: [...first.applied, ...report.applied] };
    }
  }
  for (const node of nodes) await createDistributedTables(node, opts);
  return first!;
}

interface ColumnRow {
  table: string;
  name: string;
  type: string;
}

async function createDistributedTables(node: ClickHouseStore, opts: ClusterSchemaOptions): Promise<void> {
  const db = quoteIdentifier(opts.database);
  await node.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  const tables = await node.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = ${quoteString(opts.localDatabase)} AND engine LIKE '%MergeTree' AND name != 'schema_migrations' ORDER BY name`,
  );
  const columnsOf = async (database: string): Promise<Map<string, string>> => {
    const rows = await node.query<ColumnRow>(`SELECT table, name, type FROM system.columns WHERE database = ${quoteString(database)} ORDER BY table, name`);
    const byTable = new Map<string, string[]>();
    for (const r of rows) byTable.set(r.table, [...(byTable.get(r.table) ?? []), `${r.name} ${r.type}`]);
    return new Map([...byTable].map(([t, cols]) => [t, cols.join(", ")]));
  };
  const localColumns = await columnsOf(opts.localDatabase);
  const distributedColumns = await columnsOf(opts.database);
  for (const { name } of tables) {
    const columns = localColumns.get(name) ?? "";
    const existing = distributedColumns.get(name);
    if (existing === columns) continue;
    const table = `${db}.${quoteIdentifier(name)}`;
    // A Distributed table holds no rows: after a migration changed the local table's columns it is recreated.
    if (existing !== undefined) await node.command(`DROP TABLE IF EXISTS ${table}`);
    await node.command(
      `CREATE TABLE IF NOT EXISTS ${table} AS ${quoteIdentifier(opts.localDatabase)}.${quoteIdentifier(name)} ` +
        `ENGINE = Distributed(${quoteIdentifier(opts.cluster)}, ${quoteIdentifier(opts.localDatabase)}, ${quoteIdentifier(name)}, ${shardingKey(columns)})`,
    );
  }
}

/** The sharding expression for a table with these columns ("name Type, ..."). */
export function shardingKey(columns: string): string {
  const names = new Set(columns.split(", ").map((c) => c.split(" ")[0]));
  for (const key of ["host_id", "incident_id", "claim_key"]) if (names.has(key)) return `cityHash64(${key})`;
  return "rand()";
}

/**
 * The same migration with every MergeTree-family engine made Replicated:
 * `ENGINE = ReplacingMergeTree(v)` becomes
 * `ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db.table', '{replica}', v)`.
 */
function replicatedMigration(migration: Migration, database: string): Migration {
  return {
    ...migration,
    statements: (dialect, opts) =>
      migration.statements(dialect, opts).map((statement) => {
        const table = /CREATE TABLE IF NOT EXISTS\s+(?:[`"]?[A-Za-z0-9_]+[`"]?\.)?[`"]?([A-Za-z0-9_]+)[`"]?/i.exec(statement)?.[1];
        if (!table) return statement;
        return statement.replace(/ENGINE\s*=\s*(\w*)MergeTree(?:\(([^)]*)\))?/, (_m, family: string, args: string | undefined) => {
          const path = quoteString(`/clickhouse/tables/{shard}/${database}.${table}`);
          const rest = args?.trim() ? `, ${args.trim()}` : "";
          return `ENGINE = Replicated${family}MergeTree(${path}, '{replica}'${rest})`;
        });
      }),
  };
}
