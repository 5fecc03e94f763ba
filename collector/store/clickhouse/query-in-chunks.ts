import type { ClickHouseStore } from "./store.js";
import { inList } from "./sql.js";

/**
 * Values in the IN list of one statement. ClickHouse refuses a statement
 * longer than max_query_size (256 KiB by default, read before any SETTINGS
 * clause, so the embedded engine cannot lift it per query). Fleet-wide lists
 * outgrow that: at 10,000 hosts compromised-account/fleet-client-ip asked for
 * ~10,000 user names at once and failed at every detection pass (measured,
 * bench:fleet). 2,000 literals of up to ~100 bytes stay under it.
 */
export const IN_LIST_CHUNK = 2_000;

/**
 * Runs `statement(list, chunk)` once per chunk of `values`, `list` being the
 * chunk as an IN list, and returns all the rows. Only for statements whose result
 * rows each belong to one listed value (grouped by it, or not aggregated), so
 * that the chunks' rows together are the rows of the whole list.
 */
export async function queryInChunks<T, V extends string | number = string | number>(store: ClickHouseStore, values: readonly V[], statement: (list: string, chunk: readonly V[]) => string, size = IN_LIST_CHUNK): Promise<T[]> {
  const rows: T[] = [];
  for (let start = 0; start < values.length; start += size) {
    const chunk = values.slice(start, start + size);
    rows.push(...(await store.query<T>(statement(inList(chunk), chunk))));
  }
  return rows;
}

/**
 * queryInChunks for (host, identity) pairs, chunked by host: `statement`
 * gets a chunk's hosts and those hosts' identities as IN lists. Only for
 * statements whose rows are grouped by host (and identity).
 */
export async function queryHostPairsInChunks<T>(store: ClickHouseStore, pairs: readonly { hostId: string; identity: string }[], statement: (hosts: string, identities: string) => string): Promise<T[]> {
  const identities = new Map<string, Set<string>>();
  for (const p of pairs) identities.set(p.hostId, (identities.get(p.hostId) ?? new Set()).add(p.identity));
  return queryInChunks<T, string>(store, [...identities.keys()], (hosts, chunk) => statement(hosts, inList([...new Set(chunk.flatMap((h) => [...identities.get(h)!]))])));
}
