// What a failed integration test prints about the processes it ran: a CI run
// keeps only the test output, so a probe that never sent, a collector that
// refused a batch or an MTA that logged nothing must say so there.
//
// Labs register a source (the tail of a process's output or of a log file)
// while it lives; test/setup/print-diagnostics.ts prints every registered
// source after a failed test.
import { open } from "node:fs/promises";

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
