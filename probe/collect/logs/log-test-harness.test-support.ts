import { appendFile, mkdtemp, open, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { LogTailer, type LogTailerOptions } from "./log-tailer.js";

/** A temporary folder holding a log and its tailer state; remove() deletes it. */
export interface TailDir {
  /** The folder. */
  dir: string;
  /** The followed log path inside it. */
  log: string;
  /** The tailer state path inside it. */
  state: string;
  /** Closes the tailers and writers made on it (their descriptors), then deletes the folder. */
  remove(): Promise<void>;
}

// Tailers and writers hold open descriptors; a test that drops one would leave
// Node to close it on garbage collection (a warning, and DEP0137). Each
// registers here by folder, and TailDir.remove() closes them.
const openByDir = new Map<string, Array<{ close(): Promise<void> }>>();

function track(dir: string, closable: { close(): Promise<void> }): void {
  openByDir.set(dir, [...(openByDir.get(dir) ?? []), closable]);
}

/** Creates a TailDir with log "mail.log" (not created) and state "tail-state.json". */
export async function createTailDir(): Promise<TailDir> {
  const dir = await mkdtemp(join(tmpdir(), "spamtrace-tail-"));
  const remove = async (): Promise<void> => {
    for (const open of openByDir.get(dir) ?? []) await open.close();
    openByDir.delete(dir);
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, log: join(dir, "mail.log"), state: join(dir, "tail-state.json"), remove };
}

/** Text of numbered line n: varied lengths, a timestamp-like prefix so file heads differ like real logs. */
export function numberedLine(n: number): string {
  return `Nov 29 ${String(Math.floor(n / 3600) % 24).padStart(2, "0")}:${String(Math.floor(n / 60) % 60).padStart(2, "0")}:${String(n % 60).padStart(2, "0")} mx postfix/smtp[${1000 + (n % 97)}]: L${String(n).padStart(7, "0")} ${"x".repeat((n * 7) % 61)}`;
}

/** The expected lines first..last inclusive. */
export function numberedLines(first: number, last: number): string[] {
  const out: string[] = [];
  for (let n = first; n <= last; n += 1) out.push(numberedLine(n));
  return out;
}

/** Writes numbered lines the way syslog does: appends, optionally through one descriptor kept open across renames. */
export class LogWriter {
  /** Number of the next line written. */
  next = 1;
  private handle: FileHandle | null = null;

  /** @param path the log path. */
  constructor(private readonly path: string) {
    track(dirname(path), this);
  }

  /** Appends count lines by opening path each time (like a writer that reopens per line). */
  async append(count: number): Promise<void> {
    await appendFile(this.path, this.take(count));
  }

  /** Opens path with O_APPEND and keeps the descriptor (like rsyslog or postlogd between HUPs). */
  async openDescriptor(): Promise<void> {
    await this.handle?.close();
    this.handle = await open(this.path, "a");
  }

  /** Appends count lines through the kept descriptor (it may point at a renamed file). */
  async appendViaDescriptor(count: number): Promise<void> {
    if (this.handle === null) throw new Error("no descriptor open");
    await this.handle.write(this.take(count));
  }

  /** Appends raw text through path. */
  async appendRaw(text: string): Promise<void> {
    await appendFile(this.path, text);
  }

  /** Closes the kept descriptor. */
  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }

  private take(count: number): string {
    let text = "";
    for (let i = 0; i < count; i += 1) text += numberedLine(this.next++) + "\n";
    return text;
  }
}

/** Consumes a tailer like the probe does: every batch's lines are "spooled" here, then committed. */
export class SpoolingConsumer {
  /** Lines of committed batches, in order. */
  readonly spooled: string[] = [];
  /** Polls made. */
  polls = 0;

  /** @param tailer the tailer to drain. */
  constructor(public tailer: LogTailer) {}

  /** Polls until a poll returns nothing and says no more is ready (or maxPolls). */
  async drain(maxPolls = 10_000): Promise<void> {
    for (let i = 0; i < maxPolls; i += 1) {
      const batch = await this.tailer.poll();
      this.polls += 1;
      this.spooled.push(...batch.lines);
      await batch.commit();
      if (batch.lines.length === 0 && !batch.more) return;
    }
    throw new Error(`tailer still busy after ${maxPolls} polls`);
  }
}

/** A manual clock for rotation grace periods. */
export class ManualClock {
  /** Current time, ms. */
  ms = 1_000_000;
  /** The now() to inject. */
  readonly now = (): number => this.ms;
}

/** A tailer on dir.log with test-friendly defaults (start at the beginning, small reads to exercise chunking). */
export function tailer(dir: TailDir, options: Partial<LogTailerOptions> = {}): LogTailer {
  const made = new LogTailer({ path: dir.log, statePath: dir.state, startAt: "start", rotationGraceMs: 0, maxBytesPerPoll: 4096, ...options });
  track(dir.dir, made);
  return made;
}
