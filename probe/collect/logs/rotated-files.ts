import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { escapeRegExp } from "../../../shared/text/escape-reg-exp.js";

/** A file that is, or once was, the followed log. */
export interface RotationCandidate {
  /** Full path. */
  path: string;
  /** True for a gzip-compressed rotated file (".gz"). */
  compressed: boolean;
  /** True for the followed path itself. */
  live: boolean;
}

interface Slot {
  /** Sort key: older slots first. */
  rank: [number, string];
  plain?: string;
  gz?: string;
}

/** A rotated sibling's name as orderRotatedNames returns it. */
export interface RotatedName {
  /** Entry name in the log's folder. */
  name: string;
  /** True for ".gz". */
  compressed: boolean;
  /** Naming scheme: dated (logrotate dateext "-YYYYMMDD", Postfix ".YYYYMMDD-HHMMSS") or numbered (".N"). */
  scheme: "date" | "number";
}

/**
 * Orders the rotated siblings of a log file, oldest first, from directory
 * entry names, per naming scheme: dated names (logrotate dateext
 * mail.log-20261129, Postfix's mail.log.20261129-100457) by date, numbered
 * names by number descending (mail.log.9 … mail.log.1, mail.log.0: higher
 * is older).
 * When a slot has both a plain and a ".gz" file (compression in progress),
 * only the plain one is listed: it is the same content. Other compressions
 * (.bz2, .xz, .zst) are not listed: the probe cannot read them.
 */
export function orderRotatedNames(base: string, names: readonly string[]): { date: RotatedName[]; number: RotatedName[] } {
  // .N (logrotate), -YYYYMMDD[HH] or -YYYYMMDD-<n> (logrotate dateext), .YYYYMMDD-HHMMSS (Postfix's `postfix logrotate`).
  const pattern = new RegExp(`^${escapeRegExp(base)}(?:\\.(\\d{1,3})|[.-](\\d{8}(?:\\d{2}|-\\d{1,10})?))(\\.gz)?$`);
  const slots = new Map<string, Slot & { scheme: "date" | "number" }>();
  for (const name of names) {
    const match = pattern.exec(name);
    if (match === null) continue;
    const [, number, date, gz] = match;
    const scheme = number !== undefined ? "number" : "date";
    const slotKey = number !== undefined ? `n${number}` : `d${date}`;
    // Dates sort as text; numbers descending.
    const rank: [number, string] = number !== undefined ? [1, String(1e9 - Number(number)).padStart(10, "0")] : [0, date ?? ""];
    const slot = slots.get(slotKey) ?? { rank, scheme };
    if (gz === undefined) slot.plain = name;
    else slot.gz = name;
    slots.set(slotKey, slot);
  }
  const ordered = [...slots.values()]
    .sort((a, b) => (a.rank[1] < b.rank[1] ? -1 : a.rank[1] > b.rank[1] ? 1 : 0))
    .map((slot): RotatedName => ({
      name: slot.plain ?? slot.gz ?? "",
      compressed: slot.plain === undefined,
      scheme: slot.scheme,
    }));
  return { date: ordered.filter((n) => n.scheme === "date"), number: ordered.filter((n) => n.scheme === "number") };
}

/**
 * Merges two oldest-first lists into one, keeping each list's order and
 * taking the older head (by modification time) at each step: how files of a
 * retired naming scheme (mail.log.3.gz) and the current one
 * (mail.log-20261129) interleave after an admin changed logrotate's config.
 */
export function mergeByAge<T>(a: readonly T[], b: readonly T[], mtimeMs: (item: T) => number): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const left = a[i];
    const right = b[j];
    if (right === undefined || (left !== undefined && mtimeMs(left) <= mtimeMs(right))) {
      out.push(left as T);
      i += 1;
    } else {
      out.push(right);
      j += 1;
    }
  }
  return out;
}

/** The rotated files of logPath that exist now, oldest first, then logPath itself (whether or not it exists). */
export async function listRotationCandidates(logPath: string): Promise<RotationCandidate[]> {
  const dir = dirname(logPath);
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    // A missing folder has no rotated files; the live path is still where new lines will appear.
  }
  const { date, number } = orderRotatedNames(basename(logPath), names);
  const mtimes = new Map<string, number>();
  if (date.length > 0 && number.length > 0) {
    for (const item of [...date, ...number]) mtimes.set(item.name, (await stat(join(dir, item.name)).catch(() => null))?.mtimeMs ?? 0);
  }
  const rotated = mergeByAge(date, number, (item) => mtimes.get(item.name) ?? 0).map(({ name, compressed }) => ({
    path: join(dir, name),
    compressed,
    live: false,
  }));
  return [...rotated, { path: logPath, compressed: false, live: true }];
}
