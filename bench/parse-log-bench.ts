// Benchmark: `spamtrace parse-log` against Debian's pflogsumm (Postfix) and
// eximstats (Exim) on logs of at least 1,000,000 real-format lines built from
// the corpus (bench/build-bench-logs.ts): speed on one core, start-up included,
// and peak RSS of both tools; figures printed last.
//   npx tsx bench/parse-log-bench.ts [--lines N] [--runs N] [--mta postfix|exim] [--keep]
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseLogFiles } from "../collector/parse-log/parse-log-command.js";
import { buildEximLog, buildPostfixLog } from "./build-bench-logs.js";
import { eximstats, pflogsumm, type ClassicTool } from "./classic-tools.js";
import { measure, medians, type Measured } from "./measure-command.js";

const repoRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const corpus = resolve(repoRoot, "../shared/corpus");

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const targetLines = Number(arg("--lines") ?? 1_000_000);
const runs = Number(arg("--runs") ?? 5);
const mtas = (arg("--mta") ?? "postfix,exim").split(",") as ("postfix" | "exim")[];
const dir = join(tmpdir(), "spamtrace-bench");
mkdirSync(dir, { recursive: true });
const bin = join(repoRoot, "bin/spamtrace.js");
const taskset = spawnSync("sh", ["-c", "command -v taskset"], { encoding: "utf8" }).stdout.trim();
const core = String(Math.max(0, availableParallelism() - 1));
const pinned = (cmd: string[]): string[] => (taskset ? [taskset, "-c", core, ...cmd] : cmd);
const where = taskset ? `pinned to core ${core} (taskset)` : "not pinned (taskset missing)";
const rate = (lines: number, ms: number): string => `${Math.round(lines / (ms / 1000)).toLocaleString("en-US")} lines/s`;
const ms = (x: number): string => `${Math.round(x)} ms`;
const summary: string[] = [];

async function benchOne(mta: "postfix" | "exim", tool: ClassicTool, toolName: string): Promise<void> {
  const logPath = join(dir, `${mta}-bench.log`);
  const t = performance.now();
  const lines = mta === "postfix" ? await buildPostfixLog(logPath, targetLines, join(corpus, "postfix"), join(repoRoot, "test/fixtures/mta-logs")) : await buildEximLog(logPath, targetLines, join(corpus, "exim"));
  const mb = statSync(logPath).size / 1e6;
  console.log(`\n== ${mta}: built ${logPath}: ${lines.toLocaleString("en-US")} lines, ${mb.toFixed(1)} MB in ${ms(performance.now() - t)}`);

  // In-process, JIT warm: best of 2 after a warm-up run.
  let best = Infinity;
  let report = await parseLogFiles({ mta, files: [logPath] });
  for (let i = 0; i < 2; i++) {
    const s = performance.now();
    report = await parseLogFiles({ mta, files: [logPath] });
    best = Math.min(best, performance.now() - s);
  }
  console.log(`parseLogFiles in-process (best of 2, JIT warm): ${ms(best)} = ${rate(report.lines, best)}; recognised ${((report.recognised / report.lines) * 100).toFixed(2)}%, events ${JSON.stringify(report.events)}, identities ${report.identities.length}`);

  // CLI (start-up included) and the classic tool interleaved, so a slow spell
  // of the machine hits both; pinned to one core (V8's compiler and GC
  // threads then share the core with the parser, as Perl's one thread has it).
  const cliCmd = [process.execPath, bin, "parse-log", "--mta", mta, logPath];
  const toolEnv = tool.perl5lib ? { ...process.env, PERL5LIB: tool.perl5lib } : process.env;
  const cli: Measured[] = [];
  const free: Measured[] = [];
  const classic: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    cli.push(measure(pinned(cliCmd)));
    free.push(measure(cliCmd));
    classic.push(measure(pinned([...tool.argv, logPath]), toolEnv));
  }
  const show = (name: string, r: Measured[]): string => {
    const m = medians(r);
    return `${name}, median of ${runs}: wall ${ms(m.wallMs)} = ${rate(lines, m.wallMs)}; CPU ${ms(m.cpuMs)}; peak RSS ${m.peakRssMb.toFixed(0)} MB  (walls: ${r.map((x) => Math.round(x.wallMs)).join(", ")} ms)`;
  };
  console.log(show(`parse-log CLI, ${where}`, cli));
  console.log(show("parse-log CLI, not pinned", free));
  console.log(show(`${toolName}, ${where}`, classic));

  // Peak RSS on four times the input in one run (the files read in order, as rotations are).
  const big = measure([...cliCmd, logPath, logPath, logPath]);
  const c = medians(cli);
  const f = medians(free);
  const k = medians(classic);
  summary.push(
    `${mta}: ${lines.toLocaleString("en-US")} lines, ${mb.toFixed(0)} MB, ${toolName} ${rate(lines, k.wallMs)}`,
    `  parse-log vs ${toolName}, both ${where}, start-up included: ${(k.wallMs / c.wallMs).toFixed(2)}x wall, ${(k.cpuMs / c.cpuMs).toFixed(2)}x CPU  (target 3x)`,
    `  parse-log not pinned: ${(k.wallMs / f.wallMs).toFixed(2)}x wall; in-process JIT warm: ${(k.wallMs / best).toFixed(2)}x wall`,
    `  peak RSS: parse-log ${c.peakRssMb.toFixed(0)} MB (${(4 * mb).toFixed(0)} MB input in one run: ${big.peakRssMb.toFixed(0)} MB), ${toolName} ${k.peakRssMb.toFixed(0)} MB  (target ≤ 100 MB)`,
  );
  if (!process.argv.includes("--keep")) rmSync(logPath);
}

for (const mta of mtas) {
  const tool = mta === "postfix" ? await pflogsumm() : await eximstats();
  console.log(`${mta === "postfix" ? "pflogsumm" : "eximstats"}: ${tool.origin}`);
  await benchOne(mta, tool, mta === "postfix" ? "pflogsumm" : "eximstats");
}
console.log(`\n== figures (${availableParallelism()} cores, load average ${(await import("node:os")).loadavg()[0]?.toFixed(1)}, node ${process.version})`);
for (const line of summary) console.log(line);
