import { stat } from "node:fs/promises";
import { identityOf, isMissing, sameInode } from "./file-identity.js";
import { dirname } from "node:path";
import { headMatches, headOf, HEAD_BYTES, type FileHead } from "./file-head.js";
import { PlainLogSource, type LogSource } from "./log-source.js";
import { listRotationCandidates, type RotationCandidate } from "./rotated-files.js";
import { candidateHead, findCopy, firstUnread, indexOfSource, lastLineStart, locateCursor, MTIME_SLACK_MS, openCandidate } from "./rotation-chain.js";
import { DEFAULT_MAX_BYTES_PER_POLL, DEFAULT_ROTATION_GRACE_MS, type LogBatch, type LogTailerOptions, type LogTailerStats } from "./log-tailer-types.js";
import { splitLines } from "./split-lines.js";
import { loadTailerState, saveTailerState, type LogCursor, type TailerState } from "./tailer-state-file.js";

export { DEFAULT_MAX_BYTES_PER_POLL, DEFAULT_ROTATION_GRACE_MS, type LogBatch, type LogTailerOptions, type LogTailerStats, type SavedTailerState } from "./log-tailer-types.js";

/** File changes one poll may walk through (finish a rotated file, open the next…). */
const MAX_HOPS_PER_POLL = 16;

/** Heads of finished files remembered (and saved) to place an unidentifiable empty file in the rotation chain. */
const FINISHED_HEADS_KEPT = 32;

/**
 * Follows one log file across rotations, returning complete lines and
 * persisting its cursor only when the consumer commits. Poll it every
 * second or so (sooner while batch.more).
 *
 * - Rename rotation: the open descriptor keeps reading the renamed file; once
 *   a newer file exists and rotationGraceMs has passed (the writer reopens on
 *   HUP), the next file is read. Older rotated files are finished at once.
 * - Copytruncate: noticed when the file is shorter than the cursor or its
 *   first bytes changed; the unread rest is taken from the copy (found by its
 *   first bytes among mail.log.1, mail.log-YYYYMMDD, mail.log.YYYYMMDD-HHMMSS,
 *   gzipped or not), then the file is read from 0. Lines written between
 *   logrotate's copy and its truncate are in neither file and are lost: that
 *   window is inherent to copytruncate.
 * - Probe down across rotations: the saved file is found again by inode (and
 *   birth time), or by its first bytes in a copy or a .gz; its rest is read,
 *   then every newer rotated file, then the live one. An empty file has no
 *   first bytes: it is placed after the last file read to its end (their
 *   heads are saved too) and by modification times.
 * - Missing file: polls return nothing until it appears.
 *
 * Not followed: rotated files compressed other than with gzip, multilog's
 * @<tai64n>.s names, and date-stamped live names (Exim's %D log paths).
 */
export class LogTailer {
  /** Counters since creation. */
  readonly stats: LogTailerStats = { lines: 0, bytes: 0, rotations: 0, truncations: 0, lostCursors: 0, oversizedLines: 0 };
  private readonly path: string;
  private readonly statePath: string;
  private readonly maxBytes: number;
  private readonly graceMs: number;
  private readonly startAt: "start" | "end";
  private readonly now: () => number;
  private readonly warn: (message: string) => void;
  private started = false;
  private src: LogSource | null = null;
  private pos = 0;
  private srcHead: FileHead | null = null;
  private rotationSeenAt: number | null = null;
  private finishedHeads: FileHead[] = [];
  private dirCheckedMtimeMs: number | null = null;
  private missingBaseline: FileHead[] | null = null;
  private emptySinceMs: number | null = null;
  private committed: LogCursor | null = null;
  private seq = 0;
  private committedSeq = 0;
  private firstValidSeq = 1;
  private commitChain: Promise<void> = Promise.resolve();

  /** Creates a tailer; nothing is opened until the first poll. */
  constructor(options: LogTailerOptions) {
    this.path = options.path;
    this.statePath = options.statePath;
    this.maxBytes = Math.max(1, options.maxBytesPerPoll ?? DEFAULT_MAX_BYTES_PER_POLL);
    this.graceMs = options.rotationGraceMs ?? DEFAULT_ROTATION_GRACE_MS;
    this.startAt = options.startAt ?? "end";
    this.now = options.now ?? Date.now;
    this.warn = options.onWarning ?? (() => undefined);
  }

  /** Reads what is new, up to maxBytesPerPoll; an empty batch when nothing is. Rejects only on unexpected I/O errors (EACCES…). */
  async poll(): Promise<LogBatch> {
    if (!this.started) await this.start();
    for (let hop = 0; hop < MAX_HOPS_PER_POLL; hop += 1) {
      if (this.src === null && !(await this.openLive())) return this.batch([], false);
      const src = this.src as LogSource;
      if (!src.compressed && (await this.truncated(src))) continue;
      const data = await src.read(this.pos, this.maxBytes);
      const full = data.length >= this.maxBytes;
      if (data.length > 0) {
        const split = splitLines(data, { final: false, chunkIsFull: full });
        if (split.lines.length > 0) return this.take(split, full);
      }
      // At the end of the file, maybe with a line still being written: is anything coming after it?
      if (!(await this.finished(src))) return this.batch([], false);
      if (data.length > 0) return this.take(splitLines(data, { final: true, chunkIsFull: full }), true);
      await this.advance(src);
    }
    return this.batch([], true);
  }

  /**
   * Places the cursor now (the saved one, or startAt) and, when none was
   * saved, saves it at once. Without this the start position would be taken
   * at the first poll and saved at the first commit: with startAt "end", the
   * lines written before then (and, after a crash before that commit, every
   * line until the restart) would be skipped.
   */
  async open(): Promise<void> {
    if (this.started) return;
    await this.start();
    if (this.committed === null && this.src !== null) await (await this.batch([], false)).commit();
  }

  /** Forgets what was read but not committed: the next poll starts again from the committed cursor. */
  async rewind(): Promise<void> {
    await this.closeSource();
    this.started = false;
    this.firstValidSeq = this.seq + 1;
  }

  /** Closes the open file; pending commits still complete. */
  async close(): Promise<void> {
    await this.closeSource();
    await this.commitChain;
  }

  private async closeSource(): Promise<void> {
    const src = this.src;
    this.src = null;
    this.srcHead = null;
    this.rotationSeenAt = null;
    await src?.close();
  }

  private use(src: LogSource, pos: number): void {
    this.src = src;
    this.pos = pos;
    this.srcHead = null;
    this.rotationSeenAt = null;
    this.emptySinceMs = null;
  }

  private take(split: ReturnType<typeof splitLines>, more: boolean): Promise<LogBatch> {
    this.pos += split.consumed;
    this.stats.lines += split.lines.length;
    this.stats.bytes += split.consumed;
    this.stats.oversizedLines += split.oversized;
    return this.batch(split.lines, more);
  }

  private rememberFinished(head: FileHead): void {
    if (head.length === 0 || this.finishedHeads.some((h) => h.sha256 === head.sha256 && h.length === head.length)) return;
    this.finishedHeads = [...this.finishedHeads, head].slice(-FINISHED_HEADS_KEPT);
  }

  private async start(): Promise<void> {
    this.started = true;
    this.pos = 0;
    const loaded = await loadTailerState(this.statePath);
    let state = loaded.state;
    if (state !== null && state.path !== this.path) {
      this.warn(`${this.statePath} is for ${state.path}, not ${this.path}; ignoring it`);
      state = null;
    }
    if (state === null) {
      const problem = loaded.state === null ? loaded.problem : "other path";
      // Unreadable state: reading the file again (duplicates) beats skipping what was never read.
      const startAt = problem === "missing" || problem === "other path" ? this.startAt : "start";
      if (problem !== "missing" && problem !== "other path") this.warn(`${problem}; reading ${this.path} from its start`);
      if ((await this.openLive()) && startAt === "end") this.pos = await lastLineStart(this.src as LogSource);
      return;
    }
    this.committed = state.cursor;
    this.finishedHeads = state.finished.slice(-FINISHED_HEADS_KEPT);
    const candidates = await listRotationCandidates(this.path);
    const found = await locateCursor(state.cursor, candidates, this.finishedHeads);
    if (found !== null) {
      this.use(found.src, found.offset);
      return;
    }
    if (state.cursor.offset > 0) {
      this.stats.lostCursors += 1;
      this.warn(
        `cannot find ${state.cursor.sourcePath} (inode ${state.cursor.ino}) or a copy of it; ` +
          `the lines after offset ${state.cursor.offset} are lost; continuing with the files rotated after it, then ${this.path}`,
      );
    }
    const unread = await firstUnread(candidates, null, this.finishedHeads, state.cursor.observedAtUnixMs - MTIME_SLACK_MS);
    if (unread !== null) this.use(unread, 0);
  }

  /**
   * Opens the live path at 0. While it is missing, remembers the heads of the
   * rotated files that exist: when it appears, rotated files not among them
   * were created, filled and rotated between two polls, and are read first.
   */
  private async openLive(): Promise<boolean> {
    let live: LogSource;
    try {
      live = await PlainLogSource.open(this.path);
    } catch (error) {
      if (!isMissing(error)) throw error;
      if (this.missingBaseline === null) {
        this.missingBaseline = [];
        for (const candidate of await listRotationCandidates(this.path)) {
          if (!candidate.live) this.missingBaseline.push(headOf(await candidateHead(candidate)));
        }
      }
      return false;
    }
    const baseline = this.missingBaseline;
    this.missingBaseline = null;
    if (baseline !== null) {
      for (const candidate of await listRotationCandidates(this.path)) {
        if (candidate.live) continue;
        const head = await candidateHead(candidate);
        if (head.length === 0 || baseline.some((known) => headMatches(known, head))) continue;
        const src = await openCandidate(candidate);
        if (src === null) continue;
        await live.close();
        this.use(src, 0);
        return true;
      }
    }
    this.use(live, 0);
    return true;
  }

  /** Detects copytruncate (or the file replaced in place); on detection switches to the copy or restarts at 0. */
  private async truncated(src: LogSource): Promise<boolean> {
    const size = (await src.size()) ?? 0;
    // One 256-byte read per poll: a truncated file that regrew past the cursor between two polls has other first bytes.
    const head = await src.head();
    const known = this.srcHead;
    if (this.pos === 0 && (known === null || known.length === 0) && (await this.switchedToUnread(src))) return true;
    if (size >= this.pos && (known === null || known.length === 0 || headMatches(known, head))) {
      this.srcHead = headOf(head);
      this.emptySinceMs = this.pos === 0 && this.srcHead.length === 0 ? (this.emptySinceMs ?? this.now()) : null;
      return false;
    }
    this.stats.truncations += 1;
    const oldPos = this.pos;
    const copy = known === null || oldPos === 0 ? null : await findCopy(this.path, known, oldPos, src);
    if (copy !== null) {
      await this.closeSource();
      this.use(copy, oldPos);
      return true;
    }
    if (known !== null) this.rememberFinished(known);
    if (oldPos > 0) this.warn(`${this.path} was truncated at offset ${oldPos} and no copy of it was found; reading it from its start`);
    this.pos = 0;
    this.srcHead = null;
    return true;
  }

  /**
   * While a file is empty no head identifies it, so lines written to it and
   * copytruncated away between two polls would go unnoticed. When the folder
   * changed since the last look, rotated files newer than the last finished
   * one, or modified since the file was first seen empty, are unread: switch
   * to the oldest of them.
   */
  private async switchedToUnread(src: LogSource): Promise<boolean> {
    const dirMtimeMs = (await stat(dirname(this.path)).catch(() => null))?.mtimeMs ?? null;
    if (dirMtimeMs === null || dirMtimeMs === this.dirCheckedMtimeMs) return false;
    this.dirCheckedMtimeMs = dirMtimeMs;
    const since = this.emptySinceMs === null ? undefined : this.emptySinceMs - MTIME_SLACK_MS;
    const unread = await firstUnread(await listRotationCandidates(this.path), src, this.finishedHeads, since);
    if (unread === null) return false;
    await this.closeSource();
    this.use(unread, 0);
    return true;
  }

  /**
   * True when src will not grow any more: it is compressed; or a newer file
   * exists and src is not the newest rotated file (a writer reopens its log
   * at rotation, so only the file rotated last may still be written); or it
   * is that file and rotationGraceMs has passed since we saw it rotated.
   */
  private async finished(src: LogSource): Promise<boolean> {
    if (src.compressed) return true;
    const live = await identityOf(this.path);
    if (live !== null && live.dev === src.dev && live.ino === src.ino && live.birth === src.birth) {
      this.rotationSeenAt = null;
      return false;
    }
    const candidates = await listRotationCandidates(this.path);
    const index = await indexOfSource(src, candidates);
    const newerRotated = index >= 0 && candidates.slice(index + 1).some((candidate) => !candidate.live);
    if (index < 0 || newerRotated) return true;
    // src is the newest rotated file; with no live file yet, the writer has not reopened: keep reading.
    if (live === null) return false;
    const now = this.now();
    this.rotationSeenAt ??= now;
    return now - this.rotationSeenAt >= this.graceMs;
  }

  /** Closes the finished src and opens the file that followed it (none: the live path on the next hop). */
  private async advance(src: LogSource): Promise<void> {
    const head = headOf(await src.head());
    this.rememberFinished(head);
    const candidates = await listRotationCandidates(this.path);
    const index = await indexOfSource(src, candidates);
    let next: LogSource | null = null;
    if (index >= 0) {
      for (const candidate of candidates.slice(index + 1)) {
        if (!candidate.compressed && (await sameInode(candidate.path, src))) continue;
        next = await openCandidate(candidate);
        if (next !== null) break;
      }
    } else {
      // src was compressed or deleted since it was opened and no head identifies it (empty): the
      // files after it are those after the last finished one, written since src was last modified.
      if (head.length > 0) this.warn(`${src.path} is no longer among the rotated files of ${this.path}; continuing with the newer ones`);
      next = await firstUnread(candidates, src, this.finishedHeads, await src.mtimeMs());
    }
    await this.closeSource();
    this.stats.rotations += 1;
    if (next !== null) this.use(next, 0);
  }

  private async batch(lines: string[], more: boolean): Promise<LogBatch> {
    const src = this.src;
    let cursor = this.committed;
    if (src !== null) {
      if (this.srcHead === null || this.srcHead.length < HEAD_BYTES) this.srcHead = headOf(await src.head());
      cursor = {
        sourcePath: src.path,
        dev: src.dev,
        ino: src.ino,
        birth: src.birth,
        compressed: src.compressed,
        offset: this.pos,
        headLength: this.srcHead.length,
        headSha256: this.srcHead.sha256,
        observedAtUnixMs: this.now(),
      };
    }
    const seq = ++this.seq;
    const state: TailerState | null = cursor === null ? null : { version: 1, path: this.path, cursor, finished: this.finishedHeads, updatedAtUnixMs: this.now() };
    return {
      lines,
      sourcePath: src?.path ?? this.path,
      cursor,
      more,
      commit: () => this.commit(seq, state),
      saved: state === null ? null : { statePath: this.statePath, state },
    };
  }

  private commit(seq: number, state: TailerState | null): Promise<void> {
    const run = async (): Promise<void> => {
      if (state === null || seq <= this.committedSeq || seq < this.firstValidSeq) return;
      await saveTailerState(this.statePath, state);
      this.committedSeq = seq;
      this.committed = state.cursor;
    };
    const done = this.commitChain.then(run);
    this.commitChain = done.catch(() => undefined);
    return done;
  }
}
