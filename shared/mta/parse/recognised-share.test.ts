// Share of corpus lines the parsers recognise, per corpus folder, with floors. Prints the shares (for the issue note).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CORPUS_DIR, corpusAvailable, TEST_NOW } from "../corpus.test-support.js";
import { MailLogParser } from "./mail-log-parser.js";

interface Share {
  recognised: number;
  lines: number;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? filesUnder(p) : [p];
    });
}

function linesOf(path: string): string[] {
  const lines = readFileSync(path, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** One fresh parser per file (files are unrelated logs); every line counts, empty ones included. */
function share(files: string[], toLine: (file: string, line: string) => string = (_f, l) => l): Share {
  let recognised = 0;
  let lines = 0;
  for (const f of files) {
    const parser = new MailLogParser(() => {}, { referenceUnixMs: () => TEST_NOW });
    for (const l of linesOf(f)) {
      lines++;
      if (parser.parseLine(toLine(f, l))) recognised++;
    }
  }
  return { recognised, lines };
}

const report: string[] = [];
const pct = (s: Share): string => `${((100 * s.recognised) / Math.max(1, s.lines)).toFixed(1)}% (${s.recognised}/${s.lines})`;

/** [label, files, floor] — floors sit a few points under today's shares so a parser regression fails the test. */
function cases(): [string, () => Share, number][] {
  const logFiles = (folder: string): string[] => filesUnder(join(CORPUS_DIR, folder)).filter((f) => !f.endsWith(".msg"));
  const otherMta = logFiles("other-mta");
  return [
    ["postfix/ (syslog-format files)", () => share(logFiles("postfix")), 0.97],
    ["exim/", () => share(logFiles("exim")), 0.9],
    ["sendmail/", () => share(logFiles("sendmail")), 0.95],
    ["qmail/ (as stored; the notqmail examples carry no timestamp)", () => share(logFiles("qmail")), 0.45],
    ["other-mta/ (all; mostly software we do not parse)", () => share(otherMta), 0.2],
    ["other-mta/ Dovecot + OpenSMTPD + Courier-auth files", () => share(otherMta.filter((f) => /dovecot|opensmtpd|courier-auth/.test(basename(f)))), 0.95],
    [
      "postfix/whyscream-grok-test-messages (message part only, syslog prefix added from the file name)",
      () => share(filesUnder(join(CORPUS_DIR, "postfix/whyscream-grok-test-messages")), (f, l) => `Nov 29 07:04:10 mail postfix/${basename(f, ".msg").replace("_", "-")}[1]: ${l}`),
      0.9,
    ],
  ];
}

describe.skipIf(!corpusAvailable)("recognised share per corpus folder", () => {
  for (const [label, compute, floor] of corpusAvailable ? cases() : []) {
    it(`${label} >= ${floor * 100}%`, () => {
      const s = compute();
      report.push(`${pct(s).padEnd(24)} ${label}`);
      expect(s.recognised / s.lines).toBeGreaterThanOrEqual(floor);
    });
  }
  afterAll(() => {
    console.log(`recognised share per corpus folder (${relative(process.cwd(), CORPUS_DIR)}):\n  ${report.join("\n  ")}`);
  });
});
