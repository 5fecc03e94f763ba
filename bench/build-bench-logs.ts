// Realistic logs for bench:parse: the corpus lines (../shared/corpus) repeated
// until the log has the lines asked for, each repetition with its own queue
// ids (a fresh id per message) and a clock moving 40 ms per line (monotonic).
import { createWriteStream, existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** Syslog BSD lines of Postfix programs, the format pflogsumm reads. */
const POSTFIX_LINE = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ postfix[^\s[]*\[\d+\]: /;
const POSTFIX_QUEUE_ID = /\b[0-9A-F]{8,12}\b/g;
/** Exim main log lines (`YYYY-MM-DD HH:MM:SS[.mmm] `), the format eximstats reads; the time is replaced. */
const EXIM_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?(?: [+-]\d{4})? /;
/** Exim message ids: 6-6-2 (before 4.97) and 6-11-4 base-62 characters. */
const EXIM_ID = /\b[0-9A-Za-z]{6}-(?:[0-9A-Za-z]{11}-[0-9A-Za-z]{4}|[0-9A-Za-z]{6}-[0-9A-Za-z]{2})\b/g;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const LINE_STEP_MS = 40;
const START = Date.UTC(2025, 10, 1, 0, 0, 0);

/** The lines of the files under `dir` (recursively) that `keep` accepts, files in name order. */
function corpusLines(dir: string, keep: (line: string, file: string) => boolean): string[] {
  const lines: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const path = join(dir, f);
    const st = statSync(path);
    if (st.isDirectory()) lines.push(...corpusLines(path, keep));
    else if (st.isFile()) for (const line of readFileSync(path, "utf8").split("\n")) if (keep(line, f)) lines.push(line);
  }
  return lines;
}

/**
 * Real Postfix lines of the corpus (Solaris-tagged lines left out: pflogsumm
 * does not read them); without the corpus, the lines the test suite's real
 * Postfix wrote (test/fixtures/mta-logs: few, so the log is less varied).
 */
function postfixBaseLines(corpusDir: string, fixturesDir: string): string[] {
  const corpus = existsSync(corpusDir);
  if (!corpus) console.log(`corpus folder ${corpusDir} is missing: building the log from the Postfix lab fixtures in ${fixturesDir}`);
  return corpusLines(corpus ? corpusDir : fixturesDir, (line, f) => f.endsWith(".log") && (corpus || f.startsWith("postfix-")) && POSTFIX_LINE.test(line) && !line.includes("[ID "));
}

function syslogTime(ms: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, " ");
  const hms = [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
  return `${MONTHS[d.getUTCMonth()]} ${day} ${hms}`;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, the Exim main log's time. */
function eximTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** Writes `base` repeated until ≥ targetLines lines, `render(line, rep, clock)` giving each line of repetition `rep`. */
async function writeRepeated(path: string, base: string[], targetLines: number, render: (line: string, rep: number, clock: number) => string): Promise<number> {
  if (base.length === 0) throw new Error(`no corpus lines to build ${path} from`);
  const out = createWriteStream(path);
  let clock = START;
  let written = 0;
  for (let rep = 0; written < targetLines; rep++) {
    const chunk: string[] = [];
    for (const line of base) {
      chunk.push(render(line, rep, clock));
      clock += LINE_STEP_MS;
    }
    written += chunk.length;
    if (!out.write(`${chunk.join("\n")}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return written;
}

/** Builds a Postfix syslog of ≥ targetLines lines at `path`; returns the lines written. */
export async function buildPostfixLog(path: string, targetLines: number, corpusDir: string, fixturesDir: string): Promise<number> {
  const base = postfixBaseLines(corpusDir, fixturesDir);
  const queueIds = new Set<string>();
  for (const l of base) {
    const m = /\]: ([0-9A-F]{8,12}): /.exec(l);
    if (m?.[1] !== undefined) queueIds.add(m[1]);
  }
  return writeRepeated(path, base, targetLines, (line, rep, clock) => {
    const mask = (Math.imul(rep + 1, 2654435761) >>> 16) & 0xffff;
    const body = line.slice(15).replace(POSTFIX_QUEUE_ID, (q) => {
      if (!queueIds.has(q)) return q;
      const tail = (parseInt(q.slice(-4), 16) ^ mask).toString(16).toUpperCase().padStart(4, "0");
      return q.slice(0, -4) + tail;
    });
    return syslogTime(clock) + body;
  });
}

/** The Exim main log lines of the corpus (syslog-format Exim lines left out: eximstats reads the main log). */
export function eximBaseLines(corpusDir: string): string[] {
  return corpusLines(corpusDir, (line) => EXIM_LINE.test(line));
}

/**
 * Builds an Exim main log of ≥ targetLines lines at `path`: the message ids
 * of repetition `rep` end with `rep` in base 62 (two characters), so every
 * repetition has its own ids; returns the lines written.
 */
export async function buildEximLog(path: string, targetLines: number, corpusDir: string): Promise<number> {
  const base = eximBaseLines(corpusDir).map((l) => l.replace(EXIM_LINE, ""));
  return writeRepeated(path, base, targetLines, (line, rep, clock) => {
    const tag = BASE62[Math.floor(rep / 62) % 62]! + BASE62[rep % 62]!;
    return `${eximTime(clock)} ${line.replace(EXIM_ID, (id) => id.slice(0, -2) + tag)}`;
  });
}
