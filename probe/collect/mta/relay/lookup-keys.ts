import type { CommandRunner } from "../../run-command.js";
import type { HostFiles } from "../host-files.js";

/** What the values of a list setting expand to. */
export interface ListedValues {
  /** Plain entries (domains, networks), in order. */
  entries: string[];
  /** Where they were read from ("hash:/etc/postfix/relay_domains (source file)", "postmap -s …"). */
  sources: string[];
  /** Lookups whose keys cannot be listed (mysql:, ldap:, regexp:, an unreadable file). */
  unreadable: string[];
}

/** Postfix lookup types whose keys are the first field of a text source file (postmap's input), or postmap -s's output. */
const INDEXED_TYPES = new Set(["hash", "btree", "lmdb", "cdb", "dbm", "sdbm"]);

/** Keys of a lookup-table text: the first field of each non-comment line ("key value" or "key: value"). */
export function tableKeys(text: string): string[] {
  const keys: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const key = /^([^\s:]+):?(?:\s|$)/.exec(line)?.[1];
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

/** Splits a Postfix list value on commas and white space, keeping "inline:{ … }" in one piece. */
export function splitPostfixList(value: string): string[] {
  const items: string[] = [];
  let current = "";
  let depth = 0;
  for (const ch of value) {
    if (ch === "{") depth++;
    if (ch === "}") depth = Math.max(0, depth - 1);
    if (depth === 0 && (ch === "," || /\s/.test(ch))) {
      if (current !== "") items.push(current);
      current = "";
    } else current += ch;
  }
  if (current !== "") items.push(current);
  return items;
}

/**
 * Expands the items of a Postfix list setting (mydestination, relay_domains,
 * mynetworks…): plain entries stay, "/file" is read for more entries,
 * "type:table" gives its keys — indexed tables (hash:, lmdb:, btree:, cdb:)
 * from their text source when readable, else from `postmap -s` as the real
 * Postfix lists them; texthash: and inline:{} directly. Anything else
 * (mysql:, ldap:, regexp:, pcre:, static:) is listed as unreadable.
 */
export async function expandPostfixList(items: readonly string[], files: HostFiles, run: CommandRunner, postmap: string | undefined, timeoutMs: number): Promise<ListedValues> {
  const out: ListedValues = { entries: [], sources: [], unreadable: [] };
  for (const item of items) {
    if (item.startsWith("!")) continue; // an exclusion narrows; it never serves or permits more
    if (item.startsWith("/")) {
      const text = await files.readText(item);
      if (text === null) out.unreadable.push(item);
      else {
        out.sources.push(item);
        out.entries.push(...text.split("\n").map((l) => l.replace(/#.*/, "")).flatMap((l) => splitPostfixList(l)));
      }
      continue;
    }
    const table = /^(?:proxy:)?([a-z0-9_]+):(.*)$/.exec(item);
    if (table === null || /^\[?[0-9a-f:.]+\]?(\/\d+)?$/i.test(item)) {
      out.entries.push(item); // an address like ::1 or [::1]/128 is not a lookup table
      continue;
    }
    const [, type = "", name = ""] = table;
    if (type === "inline") {
      out.sources.push(item);
      out.entries.push(...splitPostfixList(name.replace(/^\{|\}$/g, "")).map((kv) => kv.split("=")[0] ?? "").filter(Boolean));
    } else if (type === "texthash" || INDEXED_TYPES.has(type)) {
      const text = await files.readText(name);
      if (text !== null) {
        out.sources.push(`${type}:${name} (source file)`);
        out.entries.push(...tableKeys(text));
        continue;
      }
      const dumped = INDEXED_TYPES.has(type) && postmap !== undefined ? await postmapKeys(run, postmap, `${type}:${name}`, timeoutMs) : null;
      if (dumped === null) out.unreadable.push(item);
      else {
        out.sources.push(`postmap -s ${type}:${name}`);
        out.entries.push(...dumped);
      }
    } else out.unreadable.push(item);
  }
  return out;
}

/** `postmap -s type:name`: every key of an indexed table, as Postfix reads it; null when postmap fails. */
async function postmapKeys(run: CommandRunner, postmap: string, table: string, timeoutMs: number): Promise<string[] | null> {
  try {
    const r = await run(postmap, ["-s", table], { timeoutMs });
    return r.code === 0 ? tableKeys(r.stdout) : null;
  } catch {
    return null;
  }
}
