import { dialectFor, isColumnAlreadyAdded, type Dialect } from "./dialect.js";
import { MIGRATIONS, type Migration, type SchemaOptions } from "./migrations.js";
import { toClickHouseDateTime } from "./datetime.js";
import { tableName } from "./sql-literal.js";
import { storeVersion, type ClickHouseStore } from "./store.js";

/** What a migration run did. */
export interface MigrationReport {
  /** Dialect detected from the server's version. */
  dialect: Dialect;
  /** Versions applied by this run (empty when the schema was current). */
  applied: number[];
}

/**
 * Brings the schema to the newest version. Applied versions are recorded in
 * schema_migrations; a second run applies nothing.
 */
export async function migrate(
  store: ClickHouseStore,
  opts: SchemaOptions,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  const dialect = dialectFor(await storeVersion(store));
  const table = (name: string): string => tableName(opts.database, name);
  await store.command(
    `CREATE TABLE IF NOT EXISTS ${table("schema_migrations")} (version UInt32, name String, applied_at DateTime('UTC')) ENGINE = MergeTree ORDER BY version`,
  );
  const done = new Set(
    (await store.query<{ version: number }>(`SELECT DISTINCT version FROM ${table("schema_migrations")}`)).map((r) => Number(r.version)),
  );
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements(dialect, opts)) {
      try {
        await store.command(statement);
      } catch (error) {
        if (!isColumnAlreadyAdded(statement, error)) throw error;
      }
    }
    await store.insert("schema_migrations", [
      { version: migration.version, name: migration.name, applied_at: toClickHouseDateTime(Date.now()) },
    ]);
    applied.push(migration.version);
  }
  return { dialect, applied };
}
