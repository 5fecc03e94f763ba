import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DiskSpool, MIN_SPOOL_BYTES, REJECTED_DIR } from "./disk-spool.js";

const T0 = 1_700_000_000_000;
let dir: string;

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), "spamtrace-spool-")), "spool");
  vi.spyOn(Date, "now").mockReturnValue(T0);
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(join(dir, ".."), { recursive: true, force: true });
});

/** `size` bytes all equal to `fill`, so a batch read back shows which one it is. */
const bytes = (fill: number, size = 16): Uint8Array => new Uint8Array(size).fill(fill);
const files = (): string[] => readdirSync(dir).sort();
const state = (): unknown => JSON.parse(readFileSync(join(dir, "state.json"), "utf8"));
const pendingOf = (spool: DiskSpool, after?: bigint): Array<[bigint, number, number]> =>
  [...spool.pending(after)].map((b) => [b.seq, b.bytes.byteLength, b.bytes[0]!]);

describe("DiskSpool", () => {
  it("starts empty with a new epoch, in a private folder", () => {
    const spool = new DiskSpool(dir, MIN_SPOOL_BYTES);
    expect({ epoch: spool.epoch, next: spool.nextSeq(), size: spool.size, bytes: spool.bytes }).toEqual({
      epoch: BigInt(T0),
      next: 1n,
      size: 0,
      bytes: 0,
    });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(files()).toEqual(["state.json"]);
    expect(state()).toEqual({ epoch: String(T0), lastSeq: "0", evicted: "0" });
  });

  it("appends, lists pending after a seq, and deletes through an acknowledged seq", () => {
    const spool = new DiskSpool(dir, MIN_SPOOL_BYTES);
    for (const seq of [1n, 2n, 3n]) spool.append(seq, bytes(Number(seq), 10 * Number(seq)));
    expect(files()).toEqual(["1.batch", "2.batch", "3.batch", "state.json"]);
    expect(statSync(join(dir, "1.batch")).mode & 0o777).toBe(0o600);
    expect({ size: spool.size, bytes: spool.bytes, next: spool.nextSeq() }).toEqual({ size: 3, bytes: 60, next: 4n });
    expect(pendingOf(spool)).toEqual([[1n, 10, 1], [2n, 20, 2], [3n, 30, 3]]);
    expect(pendingOf(spool, 1n)).toEqual([[2n, 20, 2], [3n, 30, 3]]);
    expect(pendingOf(spool, 3n)).toEqual([]);

    spool.ackThrough(2n);
    expect(pendingOf(spool)).toEqual([[3n, 30, 3]]);
    expect({ size: spool.size, bytes: spool.bytes, next: spool.nextSeq() }).toEqual({ size: 1, bytes: 30, next: 4n });
    expect(files()).toEqual(["3.batch", "state.json"]);

    spool.ackThrough(10n);
    expect({ size: spool.size, bytes: spool.bytes, next: spool.nextSeq() }).toEqual({ size: 0, bytes: 0, next: 4n });
    expect(spool.evictedTotal).toBe(0);
  });

  it("keeps its epoch and numbering when reopened", () => {
    const first = new DiskSpool(dir, MIN_SPOOL_BYTES);
    first.append(1n, bytes(1));
    first.append(2n, bytes(2));
    first.ackThrough(1n);

    vi.spyOn(Date, "now").mockReturnValue(T0 + 60_000);
    const second = new DiskSpool(dir, MIN_SPOOL_BYTES);
    expect({ epoch: second.epoch, next: second.nextSeq(), size: second.size, bytes: second.bytes }).toEqual({
      epoch: BigInt(T0),
      next: 3n,
      size: 1,
      bytes: 16,
    });
    expect(pendingOf(second)).toEqual([[2n, 16, 2]]);
    second.append(3n, bytes(3));
    second.ackThrough(3n);

    // Numbering continues even when nothing is left to send.
    const third = new DiskSpool(dir, MIN_SPOOL_BYTES);
    expect({ epoch: third.epoch, next: third.nextSeq(), size: third.size }).toEqual({ epoch: BigInt(T0), next: 4n, size: 0 });
  });

  it("never hands out again the number of a batch written just before a crash lost its state update", () => {
    const first = new DiskSpool(dir, MIN_SPOOL_BYTES);
    first.append(1n, bytes(1));
    // Crash between writing 2.batch and recording lastSeq 2 in state.json.
    writeFileSync(join(dir, "2.batch"), bytes(2, 20));

    const second = new DiskSpool(dir, MIN_SPOOL_BYTES);
    expect({ next: second.nextSeq(), size: second.size, bytes: second.bytes }).toEqual({ next: 3n, size: 2, bytes: 36 });
    expect(pendingOf(second)).toEqual([[1n, 16, 1], [2n, 20, 2]]);
    expect(() => second.append(2n, bytes(9))).toThrow(new RangeError("spool append seq 2 must be 3"));
    expect(state()).toEqual({ epoch: String(T0), lastSeq: "2", evicted: "0" });
  });

  it.each([
    { name: "a seq already used", input: 1n, error: "spool append seq 1 must be 2" },
    { name: "a seq that skips one", input: 3n, error: "spool append seq 3 must be 2" },
    { name: "seq 0", input: 0n, error: "spool append seq 0 must be 2" },
  ])("refuses to append with $name", ({ input, error }) => {
    const spool = new DiskSpool(dir, MIN_SPOOL_BYTES);
    spool.append(1n, bytes(1));
    expect(() => spool.append(input, bytes(7))).toThrow(new RangeError(error));
    expect({ size: spool.size, next: spool.nextSeq() }).toEqual({ size: 1, next: 2n });
    expect(files()).toEqual(["1.batch", "state.json"]);
  });

  it.each([
    { input: 1, error: "spool.maxBytes 1 must be >= 1048576" },
    { input: 0, error: "spool.maxBytes 0 must be >= 1048576" },
    { input: MIN_SPOOL_BYTES - 1, error: "spool.maxBytes 1048575 must be >= 1048576" },
  ])("refuses maxBytes $input", ({ input, error }) => {
    expect(() => new DiskSpool(dir, input)).toThrow(new RangeError(error));
    expect(existsSync(dir)).toBe(false);
  });

  it("evicts the oldest batches beyond maxBytes, counts them, and always keeps the newest", () => {
    const spool = new DiskSpool(dir, MIN_SPOOL_BYTES);
    const size = 400_000;
    spool.append(1n, bytes(1, size));
    spool.append(2n, bytes(2, size));
    expect({ size: spool.size, bytes: spool.bytes, evicted: spool.evictedTotal }).toEqual({ size: 2, bytes: 800_000, evicted: 0 });

    spool.append(3n, bytes(3, size));
    expect(pendingOf(spool)).toEqual([[2n, size, 2], [3n, size, 3]]);
    expect({ bytes: spool.bytes, evictedTotal: spool.evictedTotal }).toEqual({ bytes: 800_000, evictedTotal: 1 });
    expect(files()).toEqual(["2.batch", "3.batch", "state.json"]);
    // The count is cumulative and persisted with the epoch.
    expect(new DiskSpool(dir, MIN_SPOOL_BYTES).evictedTotal).toBe(1);

    // One batch larger than the whole bound: everything older goes, the newest stays.
    spool.append(4n, bytes(4, 2 * MIN_SPOOL_BYTES));
    expect(pendingOf(spool)).toEqual([[4n, 2 * MIN_SPOOL_BYTES, 4]]);
    expect({ bytes: spool.bytes, evictedTotal: spool.evictedTotal }).toEqual({ bytes: 2 * MIN_SPOOL_BYTES, evictedTotal: 3 });
    expect(files()).toEqual(["4.batch", "state.json"]);
  });

  it("exactly at maxBytes evicts nothing", () => {
    const spool = new DiskSpool(dir, MIN_SPOOL_BYTES);
    spool.append(1n, bytes(1, MIN_SPOOL_BYTES / 2));
    spool.append(2n, bytes(2, MIN_SPOOL_BYTES / 2));
    expect({ size: spool.size, bytes: spool.bytes, evicted: spool.evictedTotal }).toEqual({ size: 2, bytes: MIN_SPOOL_BYTES, evicted: 0 });
  });

  it.each([
    { name: "not JSON", input: "{not json" },
    { name: "empty", input: "" },
    { name: "epoch not a decimal string", input: JSON.stringify({ epoch: 1700000000000, lastSeq: "2" }) },
    { name: "lastSeq missing", input: JSON.stringify({ epoch: "1700000000000" }) },
    { name: "negative lastSeq", input: JSON.stringify({ epoch: "1700000000000", lastSeq: "-1" }) },
  ])("starts a new epoch when state.json is $name, removing and counting old batches", ({ input }) => {
    const first = new DiskSpool(dir, MIN_SPOOL_BYTES);
    first.append(1n, bytes(1));
    first.append(2n, bytes(2));
    writeFileSync(join(dir, "state.json"), input);

    vi.spyOn(Date, "now").mockReturnValue(T0 + 5_000);
    const second = new DiskSpool(dir, MIN_SPOOL_BYTES);
    expect({ epoch: second.epoch, next: second.nextSeq(), size: second.size, bytes: second.bytes }).toEqual({
      epoch: BigInt(T0 + 5_000),
      next: 1n,
      size: 0,
      bytes: 0,
    });
    expect(second.evictedTotal).toBe(2);
    expect(files()).toEqual(["state.json"]);
    expect(state()).toEqual({ epoch: String(T0 + 5_000), lastSeq: "0", evicted: "2" });
  });

  it("removes leftover .tmp files without counting them", () => {
    const first = new DiskSpool(dir, MIN_SPOOL_BYTES);
    first.append(1n, bytes(1));
    writeFileSync(join(dir, "2.batch.tmp"), bytes(2));
    writeFileSync(join(dir, "state.json.tmp"), "{half");

    const second = new DiskSpool(dir, MIN_SPOOL_BYTES);
    expect(files()).toEqual(["1.batch", "state.json"]);
    expect({ next: second.nextSeq(), size: second.size, evicted: second.evictedTotal }).toEqual({ next: 2n, size: 1, evicted: 0 });
  });

  it("skips a batch whose file disappeared", () => {
    const spool = new DiskSpool(dir, MIN_SPOOL_BYTES);
    spool.append(1n, bytes(1));
    spool.append(2n, bytes(2));
    rmSync(join(dir, "1.batch"));
    expect(pendingOf(spool)).toEqual([[2n, 16, 2]]);
  });

  it("sets a refused batch aside with its reason, out of the queue, keeping the newest 64", () => {
    const spool = new DiskSpool(dir, MIN_SPOOL_BYTES);
    for (let i = 1; i <= 3; i++) spool.append(BigInt(i), bytes(i));
    const kept = spool.setAside(2n, "socket.process has a string of 206 chars, limit 64");
    expect(kept).toBe(join(dir, REJECTED_DIR, `${T0}-2.batch`));
    expect(pendingOf(spool)).toEqual([
      [1n, 16, 1],
      [3n, 16, 3],
    ]);
    expect({ size: spool.size, bytes: spool.bytes }).toEqual({ size: 2, bytes: 32 });
    expect(readFileSync(kept!)[0]).toBe(2);
    expect(readFileSync(join(dir, REJECTED_DIR, `${T0}-2.reason.txt`), "utf8")).toBe("socket.process has a string of 206 chars, limit 64\n");
    expect(spool.setAside(2n, "again")).toBeUndefined();
    // A restart does not take the set-aside batch back into the queue.
    expect(pendingOf(new DiskSpool(dir, MIN_SPOOL_BYTES)).map(([seq]) => seq)).toEqual([1n, 3n]);

    for (let i = 4; i <= 70; i++) {
      spool.append(BigInt(i), bytes(i));
      spool.setAside(BigInt(i), `refused ${i}`);
    }
    const rejected = readdirSync(join(dir, REJECTED_DIR));
    expect(rejected.filter((n) => n.endsWith(".batch"))).toHaveLength(64);
    expect(rejected.filter((n) => n.endsWith(".reason.txt"))).toHaveLength(64);
  });
});
