import { copyFile, readFile, rename, rm, truncate, unlink, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import {
  createTailDir,
  LogWriter,
  ManualClock,
  numberedLine,
  numberedLines,
  SpoolingConsumer,
  tailer,
  type TailDir,
} from "./log-test-harness.test-support.js";

const dirs: TailDir[] = [];
afterEach(async () => {
  while (dirs.length > 0) await dirs.pop()?.remove();
});

async function tailDir(): Promise<TailDir> {
  const dir = await createTailDir();
  dirs.push(dir);
  return dir;
}

async function gzipAway(path: string, target: string): Promise<void> {
  await writeFile(target, gzipSync(await readFile(path)));
  await unlink(path);
}

describe("LogTailer", () => {
  it("returns every line once, in bounded chunks, and waits for the file to appear", async () => {
    const dir = await tailDir();
    const consumer = new SpoolingConsumer(tailer(dir));
    const empty = await consumer.tailer.poll();
    expect(empty).toMatchObject({ lines: [], cursor: null, more: false });

    const writer = new LogWriter(dir.log);
    await writer.append(3000);
    await consumer.drain();
    await writer.append(10);
    await consumer.drain();

    expect(consumer.spooled).toEqual(numberedLines(1, 3010));
    const bytes = numberedLines(1, 3010).reduce((sum, line) => sum + line.length + 1, 0);
    expect(consumer.polls).toBeGreaterThanOrEqual(Math.ceil(bytes / 4096));
  });

  it("holds back a line until its newline is written", async () => {
    const dir = await tailDir();
    const t = tailer(dir);
    await writeFile(dir.log, "first\nsecond half");
    expect((await t.poll()).lines).toEqual(["first"]);
    expect((await t.poll()).lines).toEqual([]);
    await new LogWriter(dir.log).appendRaw(" and the rest\n");
    expect((await t.poll()).lines).toEqual(["second half and the rest"]);
  });

  it("returns a line longer than a poll's bytes in pieces instead of stalling", async () => {
    const dir = await tailDir();
    const t = tailer(dir, { maxBytesPerPoll: 100 });
    await writeFile(dir.log, `${"a".repeat(250)}\nshort\n`);
    const lines: string[] = [];
    for (let i = 0; i < 5; i += 1) lines.push(...(await t.poll()).lines);
    expect(lines).toEqual(["a".repeat(100), "a".repeat(100), "a".repeat(50), "short"]);
    expect(t.stats.oversizedLines).toBe(2);
  });

  it("works off a 3 MiB backlog 1 MiB per poll, saying more is ready", async () => {
    const dir = await tailDir();
    const writer = new LogWriter(dir.log);
    await writer.append(40_000);
    const t = tailer(dir, { maxBytesPerPoll: 1024 * 1024 });
    const first = await t.poll();
    expect(first.more).toBe(true);
    expect(Buffer.byteLength(first.lines.join("\n"))).toBeLessThanOrEqual(1024 * 1024);
    const consumer = new SpoolingConsumer(t);
    consumer.spooled.push(...first.lines);
    await first.commit();
    await consumer.drain();
    expect(consumer.spooled).toEqual(numberedLines(1, 40_000));
    expect(consumer.polls).toBeGreaterThanOrEqual(3);
  });

  it("starts at the end when there is no state and startAt is end, from the last line start", async () => {
    const dir = await tailDir();
    await writeFile(dir.log, "old 1\nold 2\npartial");
    const t = tailer(dir, { startAt: "end" });
    expect((await t.poll()).lines).toEqual([]);
    await new LogWriter(dir.log).appendRaw(" line\nnew\n");
    expect((await t.poll()).lines).toEqual(["partial line", "new"]);
  });

  it("open() places and saves the start cursor: lines written before the first poll, or before a crash that came first, are read", async () => {
    const dir = await tailDir();
    await writeFile(dir.log, "old 1\nold 2\n");
    await tailer(dir, { startAt: "end" }).open();
    // The probe dies before its first poll; the log grows meanwhile.
    await new LogWriter(dir.log).appendRaw("new 1\nnew 2\n");
    const restarted = tailer(dir, { startAt: "end" });
    await restarted.open();
    expect((await restarted.poll()).lines).toEqual(["new 1", "new 2"]);
  });

  it("resumes after a restart from the last committed batch: uncommitted lines come again, none twice", async () => {
    const dir = await tailDir();
    const writer = new LogWriter(dir.log);
    await writer.append(500);
    const first = tailer(dir, { maxBytesPerPoll: 2000 });
    const spooled: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const batch = await first.poll();
      spooled.push(...batch.lines);
      await batch.commit();
    }
    // Read but never spooled nor committed: the process dies here.
    const lost = await first.poll();
    expect(lost.lines.length).toBeGreaterThan(0);
    await first.close();

    await writer.append(100);
    const consumer = new SpoolingConsumer(tailer(dir, { maxBytesPerPoll: 2000 }));
    await consumer.drain();
    expect([...spooled, ...consumer.spooled]).toEqual(numberedLines(1, 600));
  });

  it("ignores a commit older than one already made, and a rewind forgets uncommitted reads", async () => {
    const dir = await tailDir();
    await new LogWriter(dir.log).append(100);
    const t = tailer(dir, { maxBytesPerPoll: 1000 });
    const a = await t.poll();
    const b = await t.poll();
    await b.commit();
    await a.commit();
    const saved = JSON.parse(await readFile(dir.state, "utf8"));
    expect(saved.cursor.offset).toBe(b.cursor?.offset);

    const c = await t.poll();
    await t.rewind();
    const again = await t.poll();
    expect(again.lines).toEqual(c.lines);
    await c.commit(); // from before the rewind: ignored
    expect(JSON.parse(await readFile(dir.state, "utf8")).cursor.offset).toBe(b.cursor?.offset);
  });

  it("follows a rename rotation, reading what the writer still appends to the old file during the grace period", async () => {
    const dir = await tailDir();
    const clock = new ManualClock();
    const consumer = new SpoolingConsumer(tailer(dir, { rotationGraceMs: 1000, now: clock.now }));
    const syslog = new LogWriter(dir.log);
    await syslog.openDescriptor();
    await syslog.appendViaDescriptor(200);
    await consumer.drain();

    await rename(dir.log, `${dir.log}.1`); // logrotate
    await writeFile(dir.log, ""); // "create"
    await syslog.appendViaDescriptor(50); // before syslog's HUP: still the old file
    await consumer.drain();
    clock.ms += 500;
    await syslog.appendViaDescriptor(25);
    await consumer.drain();
    expect(consumer.spooled).toEqual(numberedLines(1, 275));

    await syslog.openDescriptor(); // HUP: reopen the new mail.log
    await syslog.appendViaDescriptor(30);
    clock.ms += 600;
    await consumer.drain();
    await syslog.appendViaDescriptor(5);
    await consumer.drain();
    await syslog.close();

    expect(consumer.spooled).toEqual(numberedLines(1, 310));
    expect(consumer.tailer.stats.rotations).toBe(1);
  });

  it("finishes the unterminated last line of a rotated file", async () => {
    const dir = await tailDir();
    const t = tailer(dir);
    await writeFile(dir.log, "a\nb without newline");
    expect((await t.poll()).lines).toEqual(["a"]);
    await rename(dir.log, `${dir.log}.1`);
    await writeFile(dir.log, "c\n");
    const consumer = new SpoolingConsumer(t);
    await consumer.drain();
    expect(consumer.spooled).toEqual(["b without newline", "c"]);
  });

  it("waits on a renamed file while no new file exists, then switches", async () => {
    const dir = await tailDir();
    const consumer = new SpoolingConsumer(tailer(dir));
    const syslog = new LogWriter(dir.log);
    await syslog.openDescriptor();
    await syslog.appendViaDescriptor(10);
    await consumer.drain();
    await rename(dir.log, `${dir.log}.1`);
    await syslog.appendViaDescriptor(10);
    await consumer.drain();
    await syslog.openDescriptor();
    await syslog.appendViaDescriptor(10);
    await consumer.drain();
    await syslog.close();
    expect(consumer.spooled).toEqual(numberedLines(1, 30));
  });

  it("handles copytruncate: reads the unread rest from the copy, then the file from its start", async () => {
    const dir = await tailDir();
    const consumer = new SpoolingConsumer(tailer(dir));
    const syslog = new LogWriter(dir.log);
    await syslog.openDescriptor();
    await syslog.appendViaDescriptor(300);
    await consumer.drain();
    await syslog.appendViaDescriptor(40); // not read before the rotation

    await copyFile(dir.log, `${dir.log}.1`);
    await truncate(dir.log, 0);
    await syslog.appendViaDescriptor(60); // O_APPEND: lands at the new end
    await consumer.drain();
    await syslog.close();

    expect(consumer.spooled).toEqual(numberedLines(1, 400));
    expect(consumer.tailer.stats.truncations).toBe(1);
  });

  it("notices copytruncate even when the file regrew past the cursor between two polls", async () => {
    const dir = await tailDir();
    const consumer = new SpoolingConsumer(tailer(dir));
    const syslog = new LogWriter(dir.log);
    await syslog.openDescriptor();
    await syslog.appendViaDescriptor(20);
    await consumer.drain();
    await copyFile(dir.log, `${dir.log}.1`);
    await truncate(dir.log, 0);
    await syslog.appendViaDescriptor(200);
    await consumer.drain();
    await syslog.close();
    expect(consumer.spooled).toEqual(numberedLines(1, 220));
  });

  it("loses exactly the lines written between logrotate's copy and its truncate (documented copytruncate window)", async () => {
    const dir = await tailDir();
    const warnings: string[] = [];
    const consumer = new SpoolingConsumer(tailer(dir, { onWarning: (w) => warnings.push(w) }));
    const syslog = new LogWriter(dir.log);
    await syslog.openDescriptor();
    await syslog.appendViaDescriptor(100);
    await consumer.drain();
    await copyFile(dir.log, `${dir.log}.1`);
    await syslog.appendViaDescriptor(7); // in neither file after the truncate
    await truncate(dir.log, 0);
    await syslog.appendViaDescriptor(50);
    await consumer.drain();
    await syslog.close();
    expect(consumer.spooled).toEqual([...numberedLines(1, 100), ...numberedLines(108, 157)]);
    expect(warnings).toEqual([]);
  });

  it("restarts a truncated file at 0 with a warning when no copy exists", async () => {
    const dir = await tailDir();
    const warnings: string[] = [];
    const consumer = new SpoolingConsumer(tailer(dir, { onWarning: (w) => warnings.push(w) }));
    await writeFile(dir.log, "one\ntwo\n");
    await consumer.drain();
    await writeFile(dir.log, "3\n");
    await consumer.drain();
    expect(consumer.spooled).toEqual(["one", "two", "3"]);
    expect(warnings).toEqual([`${dir.log} was truncated at offset 8 and no copy of it was found; reading it from its start`]);
  });

  it("catches up after being down across two rotations, the older one gzipped (mail.log.2.gz, mail.log.1, mail.log)", async () => {
    const dir = await tailDir();
    const writer = new LogWriter(dir.log);
    await writer.append(1000);
    const before = new SpoolingConsumer(tailer(dir));
    await before.drain();
    await before.tailer.close();

    // Probe down. Day 1 ends with lines it never read, then logrotate (rename + delaycompress style).
    await writer.append(123);
    await rename(dir.log, `${dir.log}.1`);
    await writer.append(400);
    // Day 2: .1 is compressed to .2.gz, mail.log renamed to .1, a new mail.log.
    await gzipAway(`${dir.log}.1`, `${dir.log}.2.gz`);
    await rename(dir.log, `${dir.log}.1`);
    await writer.append(77);

    const after = new SpoolingConsumer(tailer(dir));
    await after.drain();
    expect([...before.spooled, ...after.spooled]).toEqual(numberedLines(1, 1600));
    expect(after.tailer.stats).toMatchObject({ rotations: 2, lostCursors: 0 });
  });

  it("catches up across a rotation compressed right away (mail.log.1.gz) and a dateext one (mail.log-20261129)", async () => {
    const dir = await tailDir();
    const writer = new LogWriter(dir.log);
    await writer.append(50);
    const before = new SpoolingConsumer(tailer(dir));
    await before.drain();
    await before.tailer.close();

    await writer.append(10);
    await rename(dir.log, `${dir.log}.1`);
    await gzipAway(`${dir.log}.1`, `${dir.log}.1.gz`);
    await writer.append(20);
    const first = new SpoolingConsumer(tailer(dir));
    await first.drain();
    await first.tailer.close();

    await writer.append(5);
    await rename(dir.log, `${dir.log}-20261129`);
    await writer.append(6);
    const second = new SpoolingConsumer(tailer(dir));
    await second.drain();

    expect([...before.spooled, ...first.spooled, ...second.spooled]).toEqual(numberedLines(1, 91));
  });

  it("catches up after a copytruncate then gzip while down, finding the copy by its first bytes", async () => {
    const dir = await tailDir();
    const writer = new LogWriter(dir.log);
    await writer.append(300);
    const before = new SpoolingConsumer(tailer(dir));
    await before.drain();
    await before.tailer.close();

    await writer.append(30);
    await copyFile(dir.log, `${dir.log}.1`);
    await truncate(dir.log, 0);
    await gzipAway(`${dir.log}.1`, `${dir.log}.1.gz`);
    await writer.append(3);

    const after = new SpoolingConsumer(tailer(dir));
    await after.drain();
    expect([...before.spooled, ...after.spooled]).toEqual(numberedLines(1, 333));
  });

  it("warns and reads the live file from its start when the saved file is gone", async () => {
    const dir = await tailDir();
    const writer = new LogWriter(dir.log);
    await writer.append(20);
    const before = new SpoolingConsumer(tailer(dir));
    await before.drain();
    await before.tailer.close();
    await rm(dir.log);
    await writer.append(5);
    const warnings: string[] = [];
    const after = new SpoolingConsumer(tailer(dir, { onWarning: (w) => warnings.push(w) }));
    await after.drain();
    expect(after.spooled).toEqual(numberedLines(21, 25));
    expect(after.tailer.stats.lostCursors).toBe(1);
    expect(warnings[0]).toMatch(/^cannot find .*mail\.log \(inode \d+\) or a copy of it; the lines after offset \d+ are lost; continuing with the files rotated after it, then .*mail\.log$/);
  });

  it("reads from the start, with a warning, when the state file is corrupt", async () => {
    const dir = await tailDir();
    await writeFile(dir.log, "a\nb\n");
    await writeFile(dir.state, "{not json");
    const warnings: string[] = [];
    const t = tailer(dir, { startAt: "end", onWarning: (w) => warnings.push(w) });
    expect((await t.poll()).lines).toEqual(["a", "b"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/tail-state\.json is not JSON: .*; reading .*mail\.log from its start$/);
  });

  it("writes the state atomically as JSON naming the file by inode and first bytes", async () => {
    const dir = await tailDir();
    await writeFile(dir.log, `${numberedLine(1)}\n`);
    const t = tailer(dir);
    const batch = await t.poll();
    await batch.commit();
    const state = JSON.parse(await readFile(dir.state, "utf8"));
    expect(state).toMatchObject({
      version: 1,
      path: dir.log,
      cursor: { sourcePath: dir.log, compressed: false, offset: numberedLine(1).length + 1, headLength: numberedLine(1).length + 1 },
    });
    expect(state.cursor.ino).toMatch(/^\d+$/);
    expect(state.cursor.headSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
