import { stat } from "node:fs/promises";
import { headMatches, headOf, type FileHead } from "./file-head.js";
import { isMissing, sameInode } from "./file-identity.js";
import { GzipLogSource, PlainLogSource, readGzipHead, type LogSource } from "./log-source.js";
import { listRotationCandidates, type RotationCandidate } from "./rotated-files.js";
import type { LogCursor } from "./tailer-state-file.js";

// Opening and placing the files of a rotation chain (mail.log, mail.log.1,
// mail.log.2.gz, ...) for the LogTailer: by inode, by first bytes, by the
// heads of files already read to their end.

export async function openCandidate(candidate: RotationCandidate): Promise<LogSource | null> {
  try {
    return candidate.compressed ? await GzipLogSource.open(candidate.path) : await PlainLogSource.open(candidate.path);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

export async function candidateHead(candidate: RotationCandidate): Promise<Buffer> {
  if (candidate.compressed) return readGzipHead(candidate.path);
  try {
    const src = await PlainLogSource.open(candidate.path);
    try {
      return await src.head();
    } finally {
      await src.close();
    }
  } catch {
    return Buffer.alloc(0);
  }
}

/** Opens candidate when it starts with head and (plain) holds at least minSize bytes. */
export async function openIfHeadMatches(candidate: RotationCandidate, head: FileHead, minSize: number): Promise<LogSource | null> {
  if (candidate.compressed && !headMatches(head, await readGzipHead(candidate.path))) return null;
  const src = await openCandidate(candidate);
  if (src === null) return null;
  if ((src.compressed || ((await src.size()) ?? 0) >= minSize) && headMatches(head, await src.head())) return src;
  await src.close();
  return null;
}

/** Position of src among candidates: by inode, else (compressed or deleted since it was opened) by its first bytes; -1 when gone. */
export async function indexOfSource(src: LogSource, candidates: readonly RotationCandidate[]): Promise<number> {
  for (let i = 0; i < candidates.length; i += 1) {
    const candidate = candidates[i] as RotationCandidate;
    if (candidate.compressed === src.compressed && (await sameInode(candidate.path, src))) return i;
  }
  const head = headOf(await src.head());
  for (let i = 0; i < candidates.length; i += 1) {
    if (headMatches(head, await candidateHead(candidates[i] as RotationCandidate))) return i;
  }
  return -1;
}

/** Index of the newest rotated candidate read to its end before (by the remembered heads); -1 when none is known. */
export async function lastFinishedIndex(candidates: readonly RotationCandidate[], finishedHeads: readonly FileHead[]): Promise<number> {
  if (finishedHeads.length === 0) return -1;
  for (let i = candidates.length - 1; i >= 0; i -= 1) {
    const candidate = candidates[i] as RotationCandidate;
    if (candidate.live) continue;
    const head = await candidateHead(candidate);
    if (finishedHeads.some((known) => headMatches(known, head))) return i;
  }
  return -1;
}

/**
 * The oldest rotated file after the last finished one that may hold unread
 * lines: not empty, not itself finished, and (when minMtimeMs is given)
 * modified no earlier than that. Null when none, when except (the file
 * being read) comes first, or when no finished file is known and
 * minMtimeMs is not given.
 */
export async function firstUnread(candidates: readonly RotationCandidate[], except: LogSource | null, finishedHeads: readonly FileHead[], minMtimeMs?: number): Promise<LogSource | null> {
  const last = await lastFinishedIndex(candidates, finishedHeads);
  if (last < 0 && minMtimeMs === undefined) return null;
  for (const candidate of candidates.slice(last + 1)) {
    if (candidate.live) continue;
    // except itself comes first: it was rotated with unread lines in it, and its descriptor still reads them.
    if (except !== null && !candidate.compressed && (await sameInode(candidate.path, except))) return null;
    const head = await candidateHead(candidate);
    if (head.length === 0 || finishedHeads.some((known) => headMatches(known, head))) continue;
    if (minMtimeMs !== undefined && ((await stat(candidate.path).catch(() => null))?.mtimeMs ?? 0) < minMtimeMs) continue;
    const src = await openCandidate(candidate);
    if (src !== null) return src;
  }
  return null;
}

/** How far back from the end "startAt: end" looks for the start of the last line. */
const LINE_START_SEARCH_BYTES = 64 * 1024;
/** Slack for comparing file modification times with the clock of the cursor. */
export const MTIME_SLACK_MS = 2000;

/** Where the last complete line of src starts ("startAt: end"). */
export async function lastLineStart(src: LogSource): Promise<number> {
  const size = (await src.size()) ?? 0;
  const from = Math.max(0, size - LINE_START_SEARCH_BYTES);
  const tail = await src.read(from, size - from);
  const nl = tail.lastIndexOf(0x0a);
  return nl >= 0 ? from + nl + 1 : from === 0 ? 0 : size;
}

/**
 * Finds the file a saved cursor points into: the same inode with the same
 * first bytes, else any rotated copy with those bytes. A cursor on an empty
 * live file cannot tell whether lines came and were copytruncated away
 * meanwhile: rotated files newer than the last finished one are read first.
 */
export async function locateCursor(
cursor: LogCursor,
candidates: readonly RotationCandidate[],
finishedHeads: readonly FileHead[],
): Promise<{ src: LogSource; offset: number } | null> {
  const head: FileHead = { length: cursor.headLength, sha256: cursor.headSha256 };
  for (const candidate of candidates) {
    if (candidate.compressed || !(await sameInode(candidate.path, cursor))) continue;
    const src = await openCandidate(candidate);
    if (src === null) continue;
    // The same inode with other first bytes was truncated (copytruncate) or reused: its copy is searched below.
    const intact = cursor.headLength === 0 || headMatches(head, await src.head());
    if (intact && ((await src.size()) ?? 0) >= cursor.offset) {
      if (cursor.headLength === 0 && candidate.live) {
        const unread = await firstUnread(candidates, src, finishedHeads, cursor.observedAtUnixMs - MTIME_SLACK_MS);
        if (unread !== null) {
          await src.close();
          return { src: unread, offset: 0 };
        }
      }
      return { src, offset: cursor.offset };
    }
    await src.close();
  }
  if (cursor.headLength === 0) return null;
  for (const candidate of candidates) {
    const src = await openIfHeadMatches(candidate, head, cursor.offset);
    if (src !== null) return { src, offset: cursor.offset };
  }
  return null;
}

/** A rotated copy of path (not `except`) that starts with head and holds offset bytes. */
export async function findCopy(path: string, head: FileHead, offset: number, except: LogSource): Promise<LogSource | null> {
  for (const candidate of await listRotationCandidates(path)) {
    if (candidate.live || (!candidate.compressed && (await sameInode(candidate.path, except)))) continue;
    const src = await openIfHeadMatches(candidate, head, offset);
    if (src !== null) return src;
  }
  return null;
}
