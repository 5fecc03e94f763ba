import { access, copyFile, readFile, rename, truncate, unlink, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { LogTailer } from "./log-tailer.js";
import { createTailDir, LogWriter, ManualClock, numberedLines, tailer, type TailDir } from "./log-test-harness.test-support.js";

const dirs: TailDir[] = [];
afterEach(async () => {
  while (dirs.length > 0) await dirs.pop()?.remove();
});

/** Deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

interface RotateMode {
  compress: boolean;
  delaycompress: boolean;
  copytruncate: boolean;
}

/**
 * What logrotate does for one log with `rotate keep`: shift the numbered
 * files, compress (now, or one rotation later with delaycompress), rename or
 * copy+truncate, and run postrotate (the writer's HUP) before compressing.
 */
async function logrotate(log: string, mode: RotateMode, keep: number, postrotate: () => Promise<void>): Promise<void> {
  if (!(await exists(log))) return; // missingok
  for (let k = keep; k >= 1; k -= 1) {
    for (const ext of ["", ".gz"]) {
      if (!(await exists(`${log}.${k}${ext}`))) continue;
      if (k === keep) await unlink(`${log}.${k}${ext}`);
      else await rename(`${log}.${k}${ext}`, `${log}.${k + 1}${ext}`);
    }
  }
  if (mode.compress && mode.delaycompress && (await exists(`${log}.2`))) {
    await writeFile(`${log}.2.gz`, gzipSync(await readFile(`${log}.2`)));
    await unlink(`${log}.2`);
  }
  if (mode.copytruncate) {
    await copyFile(log, `${log}.1`);
    await truncate(log, 0);
  } else {
    await rename(log, `${log}.1`);
    await writeFile(log, ""); // create
  }
  await postrotate();
  if (mode.compress && !mode.delaycompress) {
    await writeFile(`${log}.1.gz`, gzipSync(await readFile(`${log}.1`)));
    await unlink(`${log}.1`);
  }
}

const SEEDS = process.env.STRESS_SEEDS ? Array.from({ length: Number(process.env.STRESS_SEEDS) }, (_, i) => i + 1) : Array.from({ length: 24 }, (_, i) => i + 1);
const GRACE_MS = 10_000;

describe("LogTailer under random writes, rotations and restarts", () => {
  // STRESS_SEEDS=1000 runs more; the default set keeps the suite fast.
  it.each(SEEDS)("seed %i: every line exactly once, in order", async (seed) => {
    const rand = random(seed);
    const dir = await createTailDir();
    dirs.push(dir);
    const mode: RotateMode = { compress: rand() < 0.7, delaycompress: rand() < 0.5, copytruncate: rand() < 0.4 };
    // Half the runs write like rsyslog: through one descriptor that keeps writing to the renamed file until HUP.
    const descriptor = rand() < 0.5;
    const trace: string[] = [`mode ${JSON.stringify(mode)} descriptor ${descriptor}`];
    const clock = new ManualClock();
    const open = (): LogTailer =>
      tailer(dir, { maxBytesPerPoll: 256 + Math.floor(rand() * 8000), rotationGraceMs: GRACE_MS, now: clock.now, onWarning: (w) => trace.push(`WARN ${w}`) });
    const writer = new LogWriter(dir.log);
    let hupPending = false;
    const hup = async (): Promise<void> => {
      trace.push("HUP");
      await writer.openDescriptor();
      hupPending = false;
    };
    const write = async (n: number): Promise<void> => {
      trace.push(`append ${writer.next}..${writer.next + n - 1}${hupPending ? " (old file)" : ""}`);
      if (descriptor) await writer.appendViaDescriptor(n);
      else await writer.append(n);
    };

    // The probe's first start: the log exists and a first (empty) position is committed. Without any
    // state a tailer starts afresh and does not look at rotated files, which is not what this test checks.
    await writeFile(dir.log, "");
    if (descriptor) await writer.openDescriptor();
    let t = open();
    await (await t.poll()).commit();
    const spooled: string[] = [];
    let down = false;

    for (let step = 0; step < 80; step += 1) {
      clock.ms += 10;
      const r = rand();
      if (r < 0.45) {
        await write(1 + Math.floor(rand() * 60));
      } else if (r < 0.55) {
        trace.push("rotate");
        if (hupPending) await hup(); // the previous rotation's daemon restart happened long ago
        // Without delaycompress the renamed file is compressed right after postrotate: the HUP must come first.
        const immediateHup = descriptor && !mode.copytruncate && !(mode.compress && mode.delaycompress) && mode.compress;
        await logrotate(dir.log, mode, 50, async () => {
          if (immediateHup) await hup();
          else if (descriptor && !mode.copytruncate) hupPending = true;
        });
      } else if (r < 0.6 && hupPending) {
        await hup();
      } else if (r < 0.67 && !down) {
        // Crash: whatever was read but not committed is gone with the process.
        const uncommitted = await t.poll();
        trace.push(`crash (uncommitted ${uncommitted.lines.length})`);
        await t.close();
        down = true;
      } else if (down) {
        t = open();
        trace.push("restart");
        down = false;
      } else {
        for (let i = 1 + Math.floor(rand() * 4); i > 0; i -= 1) {
          const batch = await t.poll();
          spooled.push(...batch.lines);
          await batch.commit();
          if (batch.lines.length > 0) trace.push(`poll ${batch.lines.length} from ${batch.sourcePath.replace(dir.dir, "")}`);
        }
      }
    }
    if (hupPending) await hup();
    if (down) t = open();
    // Drain, letting the grace period pass whenever the tailer waits on a renamed file.
    for (let i = 0, idle = 0; i < 100_000 && idle < 3; i += 1) {
      const batch = await t.poll();
      spooled.push(...batch.lines);
      await batch.commit();
      if (batch.lines.length > 0 || batch.more) {
        idle = 0;
      } else {
        idle += 1;
        clock.ms += GRACE_MS;
      }
    }
    await t.close();
    await writer.close();

    const expected = numberedLines(1, writer.next - 1);
    if (JSON.stringify(spooled) !== JSON.stringify(expected)) {
      const numbers = spooled.map((line) => Number(/ L(\d+)/.exec(line)?.[1]));
      const seen = new Set(numbers);
      const missing = expected.map((_, i) => i + 1).filter((n) => !seen.has(n));
      trace.push(`got ${numbers.length} lines; missing ${missing.length}: ${missing.slice(0, 5).join(",")}…${missing.slice(-3).join(",")}; out of order at ${numbers.findIndex((n, i) => i > 0 && n !== (numbers[i - 1] ?? 0) + 1)}`);
      console.log(trace.join("\n"));
    }
    expect(spooled).toEqual(expected);
  });
});
