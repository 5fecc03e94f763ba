import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliToEnd } from "./setup/cli-process.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

// `spamtrace sql` as an analyst types it: table names without the database,
// run from a folder other than the collector's, the config named by --config
// (relative to that folder) or by SPAMTRACE_CONFIG.
describe.each(["embedded", "server"] as const)("spamtrace sql on the %s store", (kind) => {
  let server: ClickHouseServer | undefined;
  let lab: Lab;
  let elsewhere: string;

  beforeAll(async () => {
    if (kind === "server") server = await startClickHouseServer();
    lab = await makeLab({ store: server ?? "embedded", probeHostIds: ["sql-host"], ports: [await freePort()] });
    await lab.startCollector();
    await lab.startProbe("sql-host");
    await waitFor("the probe's hello", async () => (Number((await lab.sql<{ n: string | number }>(`SELECT count() AS n FROM ${lab.database}.hosts`))[0]?.n) === 1 ? true : undefined), 30_000);
    elsewhere = await mkdtemp(join(tmpdir(), "spamtrace-analyst-"));
  }, 180_000);

  afterAll(async () => {
    await lab?.close();
    await server?.stop();
    if (elsewhere) await rm(elsewhere, { recursive: true, force: true });
  });

  it("finds unqualified tables, from another folder, with --config given relative to it", async () => {
    const result = await runCliToEnd("spamtrace", ["sql", "--json", "--config", relative(elsewhere, lab.collectorConfigFile), "SELECT host_id FROM hosts"], { cwd: elsewhere });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual([{ host_id: "sql-host" }]);
  });

  it("finds the collector named by SPAMTRACE_CONFIG, and relative paths in that file are taken from its folder", async () => {
    // A config written the way an admin would: paths relative to the file.
    const file = join(lab.dir, "relative.yaml");
    const c = lab.collectorConfig;
    await writeFile(
      file,
      [
        `admin: { host: 127.0.0.1, port: ${c.admin.port}, tokenFile: ./${relative(lab.dir, c.admin.tokenFile)} }`,
        c.store.url === undefined ? `store: { dataDir: ./chdb, database: ${c.store.database} }` : `store: { url: "${c.store.url}", database: ${c.store.database} }`,
        "",
      ].join("\n"),
    );
    const result = await runCliToEnd("spamtrace", ["sql", "SELECT count() AS hosts FROM hosts"], { cwd: elsewhere, env: { SPAMTRACE_CONFIG: file } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^hosts\n-+\n1\n\(1 rows\)\n$/);
  });

  it("names a table that does not exist", async () => {
    const result = await runCliToEnd("spamtrace", ["sql", "--config", lab.collectorConfigFile, "SELECT count() FROM no_such_table"], { cwd: elsewhere });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no_such_table/);
  });
});
