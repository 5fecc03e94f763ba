import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeDurably } from "../state/write-durably.js";

/** One spooled batch: its sequence number and encoded bytes. */
export interface SpooledBatch {
  seq: bigint;
  bytes: Uint8Array;
}

interface SpoolState {
  /** Spool incarnation (ms since epoch at creation); sequence numbers restart in each. */
  epoch: string;
  /** Last sequence number given out. */
  lastSeq: string;
  /** Batches evicted in this epoch so far. */
  evicted: string;
}

/** Folder of the spool holding the batches a collector refused (DiskSpool.setAside), and how many it keeps. */
export const REJECTED_DIR = "rejected";
const MAX_REJECTED = 64;

/** Spool sizes are at least this, so one batch always fits. */
export const MIN_SPOOL_BYTES = 1024 * 1024;

/**
 * A bounded on-disk queue of encoded batches: written (and fsynced) before
 * sending, deleted when acknowledged, so unacknowledged data survives a
 * probe crash or a collector outage. When over its byte bound it evicts the
 * oldest batches and counts them, so the loss is reported, not silent.
 * Files are `<seq>.batch` in the spool folder; state.json holds the epoch and
 * the last sequence number so numbering survives restarts.
 */
export class DiskSpool {
  private state: SpoolState;
  private readonly entries = new Map<bigint, number>(); // seq -> bytes
  private totalBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {
    if (maxBytes < MIN_SPOOL_BYTES) throw new RangeError(`spool.maxBytes ${maxBytes} must be >= ${MIN_SPOOL_BYTES}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const saved = this.readState();
    this.state = saved ?? { epoch: String(Date.now()), lastSeq: "0", evicted: "0" };
    for (const name of readdirSync(dir)) {
      const match = /^(\d+)\.batch$/.exec(name);
      if (match && !saved) {
        // Batches of an epoch whose state is lost cannot be numbered again: count them as evicted.
        rmSync(join(dir, name), { force: true });
        this.countEviction();
      } else if (match) {
        const size = statSync(join(dir, name)).size;
        const seq = BigInt(match[1]!);
        this.entries.set(seq, size);
        this.totalBytes += size;
        // A crash between writing a batch and recording it in state.json: its number is taken (it may be sent).
        if (seq > BigInt(this.state.lastSeq)) this.state.lastSeq = seq.toString();
      } else if (name.endsWith(".tmp")) rmSync(join(dir, name), { force: true });
    }
    this.writeState();
  }

  /** Spool incarnation. */
  get epoch(): bigint {
    return BigInt(this.state.epoch);
  }

  /** Bytes currently spooled. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Number of batches waiting for acknowledgement. */
  get size(): number {
    return this.entries.size;
  }

  /** The sequence number the next appended batch gets. */
  nextSeq(): bigint {
    return BigInt(this.state.lastSeq) + 1n;
  }

  /**
   * Stores a batch durably under `nextSeq()` (the caller encodes it with
   * that number), evicting the oldest batches if the bound is exceeded.
   */
  append(seq: bigint, bytes: Uint8Array): void {
    if (seq !== this.nextSeq()) throw new RangeError(`spool append seq ${seq} must be ${this.nextSeq()}`);
    const path = join(this.dir, `${seq}.batch`);
    writeDurably(path, bytes);
    this.state.lastSeq = seq.toString();
    this.writeState();
    this.entries.set(seq, bytes.byteLength);
    this.totalBytes += bytes.byteLength;
    const evictedBefore = this.evictedTotal;
    while (this.totalBytes > this.maxBytes && this.entries.size > 1) {
      const oldest = this.sortedSeqs()[0]!;
      this.remove(oldest);
      this.countEviction();
    }
    if (this.evictedTotal !== evictedBefore) this.writeState();
  }

  /** The oldest batch waiting for acknowledgement, or undefined when none (no file read). */
  get oldestSeq(): bigint | undefined {
    return this.sortedSeqs()[0];
  }

  /** Batches with seq > `after`, oldest first. */
  *pending(after = 0n): Generator<SpooledBatch> {
    for (const seq of this.sortedSeqs()) {
      if (seq <= after) continue;
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(join(this.dir, `${seq}.batch`));
      } catch {
        continue; // evicted meanwhile
      }
      yield { seq, bytes };
    }
  }

  /** Deletes every batch with seq <= `seq` (acknowledged as stored). */
  ackThrough(seq: bigint): void {
    for (const s of this.sortedSeqs()) {
      if (s > seq) break;
      this.remove(s);
    }
  }

  /**
   * Moves a batch the collector refuses as invalid out of the queue, into
   * `rejected/` beside the spool with the collector's reason: it is kept for
   * a look (spamtrace-probe never sends it again) and the batches behind it
   * go on. The newest MAX_REJECTED are kept. Returns the kept file's path.
   */
  setAside(seq: bigint, reason: string): string | undefined {
    if (!this.entries.has(seq)) return undefined;
    const dir = join(this.dir, REJECTED_DIR);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const base = join(dir, `${this.state.epoch}-${seq}`);
    renameSync(join(this.dir, `${seq}.batch`), `${base}.batch`);
    writeFileSync(`${base}.reason.txt`, `${reason}\n`, { mode: 0o600 });
    this.totalBytes -= this.entries.get(seq)!;
    this.entries.delete(seq);
    // Names are <epoch>-<seq>: oldest first without a stat, each name read once.
    const kept = readdirSync(dir)
      .flatMap((name) => {
        const m = /^(\d+)-(\d+)\.batch$/.exec(name);
        return m === null ? [] : [{ name, epoch: BigInt(m[1]!), seq: BigInt(m[2]!) }];
      })
      .sort((a, b) => (a.epoch !== b.epoch ? (a.epoch < b.epoch ? -1 : 1) : a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0))
      .map((r) => r.name);
    for (const old of kept.slice(0, Math.max(0, kept.length - MAX_REJECTED))) {
      rmSync(join(dir, old), { force: true });
      rmSync(join(dir, old.replace(/\.batch$/, ".reason.txt")), { force: true });
    }
    return `${base}.batch`;
  }

  /** Batches evicted in this epoch so far (persisted; reported in every batch). */
  get evictedTotal(): number {
    return Number(this.state.evicted);
  }

  private countEviction(): void {
    this.state.evicted = String(Number(this.state.evicted) + 1);
  }

  private remove(seq: bigint): void {
    const size = this.entries.get(seq);
    if (size === undefined) return;
    rmSync(join(this.dir, `${seq}.batch`), { force: true });
    this.entries.delete(seq);
    this.totalBytes -= size;
  }

  private sortedSeqs(): bigint[] {
    return [...this.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private readState(): SpoolState | undefined {
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, "state.json"), "utf8")) as Partial<SpoolState>;
      const digits = (v: unknown): v is string => typeof v === "string" && /^\d+$/.test(v);
      if (digits(parsed.epoch) && digits(parsed.lastSeq)) {
        return { epoch: parsed.epoch, lastSeq: parsed.lastSeq, evicted: digits(parsed.evicted) ? parsed.evicted : "0" };
      }
    } catch {
      // Missing or corrupt state: a new epoch keeps old and new sequence numbers apart.
    }
    return undefined;
  }

  private writeState(): void {
    writeDurably(join(this.dir, "state.json"), Buffer.from(JSON.stringify(this.state)));
  }
}
