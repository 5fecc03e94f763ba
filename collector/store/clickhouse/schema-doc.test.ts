// docs/clickhouse-schema.md is what analysts query by: it must list exactly
// the tables and columns the migrations create. The migrations run on the
// embedded engine and system.columns is compared with the doc's tables.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbStore } from "./chdb-store.js";
import { migrate } from "./migrate.js";
import { sqlLiteral } from "./sql-literal.js";

const DOC = new URL("../../../docs/clickhouse-schema.md", import.meta.url);

/** Table → columns as the doc lists them: each "## `table`" heading, then the first cell of each row of its table ("a, b" lists two). */
function documentedColumns(markdown: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of markdown.split("\n")) {
    const heading = /^## `([a-z_]+)`/.exec(line);
    if (heading) tables.set(heading[1]!, (current = []));
    else if (line.startsWith("## ")) current = undefined;
    else if (current && line.startsWith("| ") && !line.startsWith("| column |")) current.push(...line.split("|")[1]!.split(",").map((c) => c.trim()));
  }
  return tables;
}

describe("docs/clickhouse-schema.md", () => {
  let dir: string;
  let store: ChdbStore;
  const created = new Map<string, string[]>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-schema-doc-"));
    store = await ChdbStore.open(join(dir, "chdb"), "schema_doc");
    await migrate(store, { database: "schema_doc", retentionDays: 30 });
    const rows = await store.query<{ table: string; name: string }>(`SELECT table, name FROM system.columns WHERE database = ${sqlLiteral("schema_doc")} ORDER BY table, position`);
    for (const r of rows) created.set(r.table, [...(created.get(r.table) ?? []), r.name]);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("documents every table the migrations create, and no other", () => {
    expect([...documentedColumns(readFileSync(DOC, "utf8")).keys()].sort()).toEqual([...created.keys()].sort());
  });

  it("lists exactly each table's columns", () => {
    const documented = documentedColumns(readFileSync(DOC, "utf8"));
    const differences = [...created].flatMap(([table, columns]) => {
      const listed = documented.get(table) ?? [];
      const undocumented = columns.filter((c) => !listed.includes(c));
      const absent = listed.filter((c) => !columns.includes(c));
      return undocumented.length + absent.length === 0 ? [] : [{ table, undocumented, absent }];
    });
    expect(differences).toEqual([]);
  });

  it("reads a doc table the way it is written (the check itself)", () => {
    const doc = "## `t` — x\n| column | type | meaning |\n|---|---|---|\n| a, b | UInt8 | two |\n| c | String | one |\n\n## Example queries\n| not | a | column |";
    expect(documentedColumns(doc)).toEqual(new Map([["t", ["a", "b", "c"]]]));
  });
});
