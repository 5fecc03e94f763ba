// What a failed integration test prints about the processes it ran: a CI run
// keeps only the test output, so a probe that never sent, a collector that
// refused a batch or an MTA that logged nothing must say so there.
//
// Labs register a source (the tail of a process's output or of a log file)
// while it lives; test/setup/print-diagnostics.ts prints every registered
// source after a failed test.
import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { testRunId } from "./test-run.js";

/** Returns the text a failed test should show (already bounded). */
export type DiagnosticSource = () => string | Promise<string>;

const sources = new Map<number, { name: string; read: DiagnosticSource }>();
let nextId = 0;

/** How much of each source is shown, characters (the tail). */
export const DIAGNOSTIC_TAIL_CHARS = 4000;

/** Registers a source shown after a failed test; returns its unregister. */
export function registerDiagnostic(name: string, read: DiagnosticSource): () => void {
  const id = nextId++;
  sources.set(id, { name, read });
  return () => void sources.delete(id);
}

/** The tail of a text, marked when cut. */
export function tail(text: string, chars = DIAGNOSTIC_TAIL_CHARS): string {
  return text.length <= chars ? text : `[... ${text.length - chars} characters before]\n${text.slice(-chars)}`;
}

/** The tail of a file (its last `chars` bytes), or why it cannot be read. */
export async function fileTail(path: string, chars = DIAGNOSTIC_TAIL_CHARS): Promise<string> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    return `(cannot open ${path}: ${(error as Error).message})`;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, chars);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return `${size > length ? `[... ${size - length} bytes before]\n` : ""}${buffer.toString("utf8")}`;
  } finally {
    await handle.close();
  }
}

/** Every registered source, read now; a source that throws says so. */
export async function collectDiagnostics(): Promise<string> {
  const parts: string[] = [];
  for (const { name, read } of sources.values()) {
    let text: string;
    try {
      text = await read();
    } catch (error) {
      text = `(diagnostic failed: ${(error as Error).message})`;
    }
    parts.push(`----- ${name} -----\n${text.trimEnd()}`);
  }
  return parts.join("\n");
}

// The end-of-run digest. CI shows only the last ~13 KB of a run's output,
// where the per-test diagnostics printed above have long scrolled away: the
// first failed test of each file also leaves a short copy in a file of the
// run, which the global teardown prints last (test/setup/global-setup.ts).

/** Characters of each source kept in the digest, and of the whole digest. */
export const DIGEST_SOURCE_CHARS = 700;
export const DIGEST_CHARS = 7000;

function digestFile(runId: string): string {
  return path.join(os.tmpdir(), `spamtrace-test-run-${runId}.failures`);
}

const digested = new Set<string>();

/** Keeps a short copy of a failure's diagnostics for the end-of-run digest (once per `key`: a file's tests share one). */
export async function recordFailure(file: string, title: string, key = file): Promise<void> {
  const runId = testRunId();
  if (runId === undefined || digested.has(key)) return;
  digested.add(key);
  const parts = [`===== ${path.basename(file)} > ${title} (load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")})`];
  for (const { name, read } of sources.values()) {
    let text: string;
    try {
      text = await read();
    } catch (error) {
      text = `(diagnostic failed: ${(error as Error).message})`;
    }
    parts.push(`--- ${name}\n${tail(text.trimEnd(), DIGEST_SOURCE_CHARS)}`);
  }
  appendFileSync(digestFile(runId), `${parts.join("\n")}\n`);
}

/** The digest of a run's failures (bounded, the first failures first), and removes its file; "" when nothing failed. */
export function takeFailureDigest(runId: string): string {
  const file = digestFile(runId);
  if (!existsSync(file)) return "";
  const text = readFileSync(file, "utf8");
  rmSync(file, { force: true });
  return text.length <= DIGEST_CHARS ? text : `${text.slice(0, DIGEST_CHARS)}\n[... ${text.length - DIGEST_CHARS} characters of later failures cut]`;
}
