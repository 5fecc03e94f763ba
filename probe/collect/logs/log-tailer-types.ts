import type { LogCursor, TailerState } from "./tailer-state-file.js";

// What a LogTailer takes and hands out.

/** Options of a LogTailer. */
export interface LogTailerOptions {
  /** The log file to follow, e.g. /var/log/mail.log. */
  path: string;
  /** JSON file holding the committed cursor; its folder must exist and be writable. */
  statePath: string;
  /** Most bytes read per poll, so a large backlog is worked off in bounded steps; default DEFAULT_MAX_BYTES_PER_POLL. */
  maxBytesPerPoll?: number;
  /**
   * After the followed file was renamed away, keep reading it this long (ms)
   * before moving to the new file: syslog writes to the old file until it
   * reopens (HUP), so this must exceed that delay. Default DEFAULT_ROTATION_GRACE_MS.
   */
  rotationGraceMs?: number;
  /** Where to begin when there is no state file at all: "end" (default: only new lines) or "start" (the whole current file). */
  startAt?: "start" | "end";
  /** Clock in ms; default Date.now. */
  now?: () => number;
  /** Told about lost data and odd states (the caller logs them). */
  onWarning?: (message: string) => void;
}

/** Lines read by one poll: at-least-once until committed. */
export interface LogBatch {
  /** Complete lines, in file order, without "\n". */
  lines: string[];
  /** File the lines came from (its path when opened). */
  sourcePath: string;
  /** Position after these lines; null before any file was found. */
  cursor: LogCursor | null;
  /** True when the poll stopped at maxBytesPerPoll: more is ready, poll again without waiting. */
  more: boolean;
  /**
   * Persists cursor, so a restarted tailer resumes after these lines. Call it
   * once the lines are safe (spooled): committing a batch also commits every
   * earlier one, and a commit older than one already made is ignored.
   */
  commit(): Promise<void>;
  /**
   * What commit() writes, and where: for recording it first in a crash-safe
   * intent beside the spooled batch (see probe/pipeline/cursor-intent.ts).
   * Null when there is nothing to commit (no file found yet).
   */
  saved: SavedTailerState | null;
}

/** A tailer state and the file it belongs in. */
export interface SavedTailerState {
  statePath: string;
  state: TailerState;
}

/** Counters since the tailer was created. */
export interface LogTailerStats {
  /** Lines returned by poll. */
  lines: number;
  /** Bytes those lines took in the files. */
  bytes: number;
  /** Moves from one file to the next (rename rotation, end of a rotated file). */
  rotations: number;
  /** Times the followed file was found truncated (copytruncate) or replaced in place. */
  truncations: number;
  /** Saved cursors whose file could not be found again: the unread rest of that file is lost. */
  lostCursors: number;
  /** Lines longer than maxBytesPerPoll, returned in pieces. */
  oversizedLines: number;
}

/** Default bytes read per poll (1 MiB). */
export const DEFAULT_MAX_BYTES_PER_POLL = 1024 * 1024;
/** Default time to keep reading a renamed log before switching to the new one, in ms. */
export const DEFAULT_ROTATION_GRACE_MS = 1000;
