import { stat } from "node:fs/promises";
import { headMatches, headOf, type FileHead } from "./file-head.js";
import { isMissing, sameInode } from "./file-identity.js";
import { GzipLogSource, PlainLogSource, readGzipHead, type LogSource } from "./log-source.js";
import type { RotationCandidate } from "./rotated-files.js";

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
