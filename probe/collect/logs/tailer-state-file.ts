import { readFile } from "node:fs/promises";
import { writeDurably } from "../../state/write-durably.js";

/** Where a LogTailer has delivered up to: the file (by identity, not name) and the byte after the last committed line. */
export interface LogCursor {
  /** Path the file had when the cursor was taken (informative: rotation renames it). */
  sourcePath: string;
  /** Device number of the file, decimal. */
  dev: string;
  /** Inode number of the file, decimal (text: inodes can exceed 2^53). */
  ino: string;
  /** Birth time in ns, decimal; "0" when the filesystem does not record it. Freed inode numbers are reused quickly. */
  birth: string;
  /** True when the file was read through gzip; offset then counts decompressed bytes. */
  compressed: boolean;
  /** Next byte to read, always at a line boundary. */
  offset: number;
  /** How many leading bytes headSha256 covers (≤ 256; 0 for an empty file). */
  headLength: number;
  /** SHA-256 of the file's first headLength bytes, hex: finds the file again after rename, copy or compression. */
  headSha256: string;
  /** When the position was read, ms since the Unix epoch: files modified later may hold lines not read yet. */
  observedAtUnixMs: number;
}

/** Content of a tailer's state file. */
export interface TailerState {
  /** Format version; 1. */
  version: 1;
  /** The followed log path; a state for another path is ignored. */
  path: string;
  /** Committed position. */
  cursor: LogCursor;
  /**
   * Heads of the files most recently read to their end, oldest first: after
   * an empty file (which no head identifies) was rotated and compressed,
   * the next unread file is the one after the last of these.
   */
  finished: Array<{ length: number; sha256: string }>;
  /** When it was written, ms since the Unix epoch. */
  updatedAtUnixMs: number;
}

/** Result of reading a state file: the state, or why there is none. */
export type LoadedTailerState = { state: TailerState } | { state: null; problem: "missing" | string };

function isCursor(value: unknown): value is Omit<LogCursor, "birth" | "observedAtUnixMs"> & Partial<LogCursor> {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.sourcePath === "string" &&
    typeof c.dev === "string" &&
    typeof c.ino === "string" &&
    typeof c.compressed === "boolean" &&
    Number.isSafeInteger(c.offset) &&
    (c.offset as number) >= 0 &&
    Number.isSafeInteger(c.headLength) &&
    typeof c.headSha256 === "string"
  );
}

/** Reads a state file; never throws: a missing file is "missing", anything unreadable or malformed is described. */
export async function loadTailerState(statePath: string): Promise<LoadedTailerState> {
  let text: string;
  try {
    text = await readFile(statePath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { state: null, problem: "missing" };
    return { state: null, problem: `cannot read ${statePath}: ${(error as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { state: null, problem: `${statePath} is not JSON: ${(error as Error).message}` };
  }
  const s = parsed as Partial<TailerState> | null;
  if (s === null || typeof s !== "object" || s.version !== 1 || typeof s.path !== "string" || !isCursor(s.cursor)) {
    return { state: null, problem: `${statePath} does not hold a version 1 tailer state` };
  }
  const finished = Array.isArray(s.finished)
    ? s.finished.filter((h): h is { length: number; sha256: string } => Number.isSafeInteger(h?.length) && typeof h?.sha256 === "string")
    : [];
  // Cursors written before birth and observedAtUnixMs existed: unknown birth ("0") and the epoch (every file is newer).
  const cursor: LogCursor = {
    ...s.cursor,
    birth: typeof s.cursor.birth === "string" ? s.cursor.birth : "0",
    observedAtUnixMs: typeof s.cursor.observedAtUnixMs === "number" ? s.cursor.observedAtUnixMs : 0,
  };
  return { state: { version: 1, path: s.path, cursor, finished, updatedAtUnixMs: Number(s.updatedAtUnixMs) || 0 } };
}

/** Replaces the state file atomically (see writeDurably): a crash leaves either the old or the new state, never a torn one. */
export async function saveTailerState(statePath: string, state: TailerState): Promise<void> {
  writeDurably(statePath, JSON.stringify(state) + "\n");
}
