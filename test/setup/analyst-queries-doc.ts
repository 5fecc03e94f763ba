import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** docs/analyst-queries.md, where every question is a `## Title (`id`)` heading followed by one ```sql block. */
export const ANALYST_QUERIES_DOC = fileURLToPath(new URL("../../docs/analyst-queries.md", import.meta.url));

/** The doc's queries by id, exactly as an analyst would paste them. */
export function readAnalystQueries(path = ANALYST_QUERIES_DOC): Map<string, string> {
  const text = readFileSync(path, "utf8");
  const queries = new Map<string, string>();
  const section = /^## .*\(`([a-z0-9-]+)`\)\s*$([\s\S]*?)(?=^## |(?![\s\S]))/gm;
  for (const [, id, body] of text.matchAll(section)) {
    const blocks = [...body!.matchAll(/^```sql\n([\s\S]*?)^```$/gm)];
    if (blocks.length !== 1) throw new Error(`${path}: section ${id} has ${blocks.length} sql blocks, expected 1`);
    if (queries.has(id!)) throw new Error(`${path}: query id ${id} is used twice`);
    queries.set(id!, blocks[0]![1]!.trim());
  }
  return queries;
}
