// Benchmark: `spamtrace parse-log` against Debian's pflogsumm on a Postfix log of
// at least 1,000,000 real-format lines, built from the corpus Postfix logs with
// queue ids and timestamps varied per repetition.
//   npx tsx bench/parse-log-bench.ts [--lines N] [--runs N] [--keep]
import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseLogFiles } from "../collector/parse-log/parse-log-command.js";

const repoRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const corpusPostfix = resolve(repoRoot, "../shared/corpus/postfix");
const labFixtures = resolve(repoRoot, "test/fixtures/mta-logs");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** Syslog BSD lines of Postfix programs, the format pflogsumm reads. */
const POSTFIX_LINE = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ postfix[^\s[]*\[\d+\]: /;
const QUEUE_ID = /\b[0-9A-F]{8,12}\b/g;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * Real Postfix lines of the corpus (Solaris-tagged lines left out: pflogsumm
 * does not read them); without the corpus, the lines the test suite's real
 * Postfix wrote (test/fixtures/mta-logs: few, so the log is less varied).
 */
function baseLines(): string[] {
  const corpus = existsSync(corpusPostfix);
  const dir = corpus ? corpusPostfix : labFixtures;
  if (!corpus) console.log(`corpus folder ${corpusPostfix} is missing: building the log from the Postfix lab fixtures in ${labFixtures}`);
  const lines: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const path = join(dir, f);
    if (!f.endsWith(".log") || (!corpus && !f.startsWith("postfix-")) || !statSync(path).isFile()) continue;
    for (const line of readFileSync(path, "utf8").split("\n")) if (POSTFIX_LINE.test(line) && !line.includes("[ID ")) lines.push(line);
  }
  return lines;
}

function syslogTime(ms: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, " ");
  const hms = [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
  return `${MONTHS[d.getUTCMonth()]} ${day} ${hms}`;
}

/** Writes ≥ targetLines lines: the base lines repeated, each repetition with its own queue ids and a clock moving 40 ms per line. */
async function buildLog(path: string, targetLines: number): Promise<number> {
  const base = baseLines();
  const queueIds = new Set<string>();
  for (const l of base) {
    const m = /\]: ([0-9A-F]{8,12}): /.exec(l);
    if (m?.[1] !== undefined) queueIds.add(m[1]);
  }
  const out = createWriteStream(path);
  let clock = Date.UTC(2025, 10, 1, 0, 0, 0);
  let written = 0;
  for (let rep = 0; written < targetLines; rep++) {
    const mask = (Math.imul(rep + 1, 2654435761) >>> 16) & 0xffff;
    const chunk: string[] = [];
    for (const line of base) {
      const body = line.slice(15).replace(QUEUE_ID, (q) => {
        if (!queueIds.has(q)) return q;
        const tail = (parseInt(q.slice(-4), 16) ^ mask).toString(16).toUpperCase().padStart(4, "0");
        return q.slice(0, -4) + tail;
      });
      chunk.push(syslogTime(clock) + body);
      clock += 40;
    }
    written += chunk.length;
    if (!out.write(`${chunk.join("\n")}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return written;
}

function rate(lines: number, ms: number): string {
  return `${Math.round(lines / (ms / 1000)).toLocaleString("en-US")} lines/s`;
}

/** CPU milliseconds (user + system) of this process since `start`. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/**
 * Runs a command with stdout discarded and returns its wall and CPU time: the CPU
 * time comes from the shell's `times` (children user + system), which other
 * processes competing for the cores do not inflate the way they inflate wall time.
 */
function timed(cmd: string[]): { wallMs: number; cpuMs: number; status: number | null; stderr: string } {
  const t = performance.now();
  const r = spawnSync("sh", ["-c", '"$@" > /dev/null; s=$?; times >&2; exit $s', "sh", ...cmd], { encoding: "utf8", maxBuffer: 1 << 26 });
  const wallMs = performance.now() - t;
  const lines = r.stderr.trim().split("\n");
  const children = lines.at(-1) ?? "";
  const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { wallMs, cpuMs: ((secs[0] ?? NaN) + (secs[1] ?? NaN)) * 1000, status: r.status, stderr: lines.slice(0, -2).join("\n") };
}

const targetLines = Number(arg("--lines") ?? 1_000_000);
const dir = join(tmpdir(), "spamtrace-bench");
mkdirSync(dir, { recursive: true });
const logPath = join(dir, "postfix-bench.log");
let t = performance.now();
const lines = await buildLog(logPath, targetLines);
console.log(`built ${logPath}: ${lines.toLocaleString("en-US")} lines, ${(statSync(logPath).size / 1e6).toFixed(1)} MB in ${Math.round(performance.now() - t)} ms`);

// In-process: best of three runs (a first run warms the JIT), wall and CPU time.
let bestWall = Infinity;
let bestCpu = Infinity;
let report = await parseLogFiles({ mta: "postfix", files: [logPath] });
for (let i = 0; i < 3; i++) {
  const cpu = process.cpuUsage();
  t = performance.now();
  report = await parseLogFiles({ mta: "postfix", files: [logPath] });
  bestWall = Math.min(bestWall, performance.now() - t);
  bestCpu = Math.min(bestCpu, cpuSince(cpu));
}
console.log(`parseLogFiles in-process (best of 3): wall ${Math.round(bestWall)} ms = ${rate(report.lines, bestWall)}; CPU ${Math.round(bestCpu)} ms = ${rate(report.lines, bestCpu)}`);
console.log(`  recognised ${((report.recognised / report.lines) * 100).toFixed(2)}%, events ${JSON.stringify(report.events)}, identities ${report.identities.length}`);

// CLI runs (process start-up included) and pflogsumm, interleaved so that a
// slow spell of the machine hits both, --runs times each; medians reported.
// Both are pinned to one core with taskset when it is there ("on one core":
// V8's compiler and GC threads then share the core with the parser), and
// also timed unpinned, alternating with the pinned runs.
const bin = join(repoRoot, "bin/spamtrace.js");
const runs = Number(arg("--runs") ?? 5);
const taskset = spawnSync("sh", ["-c", "command -v taskset"], { encoding: "utf8" }).stdout.trim();
const core = String(Math.max(0, availableParallelism() - 1));
const pinned = (cmd: string[]): string[] => (taskset ? [taskset, "-c", core, ...cmd] : cmd);
const cliCmd = [process.execPath, bin, "parse-log", logPath];
const pflogsumm = spawnSync("sh", ["-c", "command -v pflogsumm"], { encoding: "utf8" }).stdout.trim();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const cliRuns: { wallMs: number; cpuMs: number }[] = [];
const freeRuns: { wallMs: number; cpuMs: number }[] = [];
const pfRuns: { wallMs: number; cpuMs: number }[] = [];
for (let i = 0; i < runs; i++) {
  const cli = timed(pinned(cliCmd));
  if (cli.status !== 0) throw new Error(`parse-log CLI failed (${cli.status}): ${cli.stderr}`);
  cliRuns.push(cli);
  freeRuns.push(timed(cliCmd));
  if (pflogsumm) {
    const pf = timed(pinned([pflogsumm, logPath]));
    if (pf.status !== 0) throw new Error(`pflogsumm failed (${pf.status}): ${pf.stderr}`);
    pfRuns.push(pf);
  }
}
const where = taskset ? `pinned to core ${core} (taskset)` : "not pinned (taskset missing)";
const cliWall = median(cliRuns.map((r) => r.wallMs));
const cliCpu = median(cliRuns.map((r) => r.cpuMs));
console.log(`node bin/spamtrace.js parse-log, ${where}, median of ${runs}: wall ${Math.round(cliWall)} ms = ${rate(lines, cliWall)}; CPU ${Math.round(cliCpu)} ms = ${rate(lines, cliCpu)}  (runs: ${cliRuns.map((r) => Math.round(r.wallMs)).join(", ")} ms)`);
const freeWall = median(freeRuns.map((r) => r.wallMs));
const freeCpu = median(freeRuns.map((r) => r.cpuMs));
console.log(`node bin/spamtrace.js parse-log, not pinned (the parser is one thread; V8's compiler and GC threads may use another core), median of ${runs}: wall ${Math.round(freeWall)} ms = ${rate(lines, freeWall)}; CPU ${Math.round(freeCpu)} ms  (runs: ${freeRuns.map((r) => Math.round(r.wallMs)).join(", ")} ms)`);
if (!pflogsumm) {
  console.log("pflogsumm not installed (apt-get install -y pflogsumm): no comparison");
} else {
  const pfWall = median(pfRuns.map((r) => r.wallMs));
  const pfCpu = median(pfRuns.map((r) => r.cpuMs));
  console.log(`pflogsumm, ${where}, median of ${runs}: wall ${Math.round(pfWall)} ms = ${rate(lines, pfWall)}; CPU ${Math.round(pfCpu)} ms = ${rate(lines, pfCpu)}  (runs: ${pfRuns.map((r) => Math.round(r.wallMs)).join(", ")} ms)`);
  console.log(`speed-up over pflogsumm, in-process: ${(pfWall / bestWall).toFixed(2)}x wall, ${(pfCpu / bestCpu).toFixed(2)}x CPU`);
  console.log(`speed-up over pflogsumm, CLI with everything pinned to one core (start-up included): ${(pfWall / cliWall).toFixed(2)}x wall, ${(pfCpu / cliCpu).toFixed(2)}x CPU  (target 3x)`);
  console.log(`speed-up over pflogsumm, CLI not pinned (start-up included): ${(pfWall / freeWall).toFixed(2)}x wall`);
}
if (!process.argv.includes("--keep")) rmSync(logPath);
