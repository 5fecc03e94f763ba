// Helpers for the MTA parser tests: corpus access (read at test time, never copied) and event capture.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { MailEvent } from "./events/mail-event.js";
import { MailLogParser, type MailLogParserOptions } from "./parse/mail-log-parser.js";

/** Repository root (shared/mta/ is two levels down). */
export const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
/** The shared sample corpus beside the project. */
export const CORPUS_DIR = resolve(REPO_ROOT, "../shared/corpus");
/** Project fixtures of our own lines. */
export const FIXTURE_DIR = resolve(REPO_ROOT, "test/fixtures/mta-logs");
/** True when the corpus is there; corpus cases are skipped otherwise. */
export const corpusAvailable = existsSync(CORPUS_DIR);

/** Reference "now" of the tests: year-less lines resolve to the year before 2027-01-01 (local time). */
export const TEST_NOW = new Date(2027, 0, 1).getTime();

/** Line `lineNo` (1-based) of a corpus file, or "" when the corpus is absent. */
export function corpusLine(relPath: string, lineNo: number): string {
  if (!corpusAvailable) return "";
  const line = readFileSync(resolve(CORPUS_DIR, relPath), "utf8").split("\n")[lineNo - 1];
  if (line === undefined) throw new Error(`corpus ${relPath} has no line ${lineNo}`);
  return line;
}

/** All lines of a fixture file. */
export function fixtureLines(name: string): string[] {
  const lines = readFileSync(resolve(FIXTURE_DIR, name), "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Runs lines through a fresh MailLogParser; returns the events and which lines were recognised. */
export function parseAll(lines: readonly string[], options: MailLogParserOptions = {}): { events: MailEvent[]; recognised: boolean[] } {
  const events: MailEvent[] = [];
  const parser = new MailLogParser((e) => events.push(e), { referenceUnixMs: () => TEST_NOW, ...options });
  const recognised = lines.map((l) => parser.parseLine(l));
  return { events, recognised };
}

/** Local wall-clock time in unix ms (the time zone syslog lines are read in). */
export function local(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number {
  return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
}
