import { readFileSync, rmSync } from "node:fs";
import type { SavedTailerState } from "../collect/logs/log-tailer.js";
import { saveTailerState } from "../collect/logs/tailer-state-file.js";
import { writeDurably } from "../state/write-durably.js";

/**
 * The log cursors a batch's lines end at, written durably before the batch
 * is spooled and removed once the cursors are committed. Spooling a batch and
 * committing its cursors are two writes; a crash between them would re-read
 * (and count twice) the batch's lines. With the intent on disk, start-up
 * finishes what the crash interrupted: the batch was spooled, so its cursors
 * are committed; or it was not, so they are dropped and its lines read again.
 */
interface CursorIntent {
  version: 1;
  /** Spool epoch of the batch (decimal): a spool that lost its state starts a new epoch, and an intent of the old one is dropped. */
  epoch: string;
  /** Spool sequence number of the batch holding the lines up to these cursors (decimal). */
  batchSeq: string;
  cursors: SavedTailerState[];
}

/** A batch's place in the spool. */
export interface SpoolPosition {
  epoch: bigint;
  seq: bigint;
}

/** Records that the batch at `at` holds every line up to `cursors`; call before spooling it. */
export function writeCursorIntent(path: string, at: SpoolPosition, cursors: readonly SavedTailerState[]): void {
  const intent: CursorIntent = { version: 1, epoch: at.epoch.toString(), batchSeq: at.seq.toString(), cursors: [...cursors] };
  writeDurably(path, JSON.stringify(intent));
}

/** Forgets the intent once its cursors are committed. */
export function clearCursorIntent(path: string): void {
  rmSync(path, { force: true });
}

/** What recovery did with an intent left by a crash. */
export type IntentRecovery = "none" | "committed" | "dropped";

/**
 * Finishes an intent a crash left behind; run at start-up before any log is
 * opened. `spooledThrough` is the spool's epoch and last sequence number
 * (persisted by every append, so an acknowledged and deleted batch still
 * counts as spooled).
 */
export async function recoverCursorIntent(path: string, spooledThrough: SpoolPosition): Promise<IntentRecovery> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "none";
    throw error;
  }
  const intent = parseIntent(text);
  let outcome: IntentRecovery = "dropped";
  if (intent !== null && BigInt(intent.epoch) === spooledThrough.epoch && BigInt(intent.batchSeq) <= spooledThrough.seq) {
    for (const saved of intent.cursors) await saveTailerState(saved.statePath, saved.state);
    outcome = "committed";
  }
  clearCursorIntent(path);
  return outcome;
}

// A torn intent cannot exist (written durably); anything else unreadable is dropped: re-reading beats skipping.
function parseIntent(text: string): CursorIntent | null {
  try {
    const parsed = JSON.parse(text) as Partial<CursorIntent>;
    const digits = (v: unknown): v is string => typeof v === "string" && /^\d+$/.test(v);
    if (parsed.version !== 1 || !digits(parsed.epoch) || !digits(parsed.batchSeq) || !Array.isArray(parsed.cursors)) return null;
    return parsed as CursorIntent;
  } catch {
    return null;
  }
}
