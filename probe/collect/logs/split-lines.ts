/** Lines cut from a chunk of log bytes, and how many bytes they used. */
export interface SplitLines {
  /** Complete lines, UTF-8 decoded, without their "\n". */
  lines: string[];
  /** Bytes of the chunk the lines cover (up to and including the last "\n"). */
  consumed: number;
  /** Lines that were cut because no "\n" came within the chunk. */
  oversized: number;
}

const NEWLINE = 0x0a;

/**
 * Cuts the complete lines out of a chunk. The bytes after the last "\n" are
 * a line still being written: they are left for the next read unless
 * `final` (the file will not grow any more), or unless the chunk is full
 * without any "\n" (a line longer than the chunk is emitted in pieces rather
 * than stalling the tail forever).
 */
export function splitLines(chunk: Buffer, opts: { final: boolean; chunkIsFull: boolean }): SplitLines {
  const lines: string[] = [];
  let start = 0;
  for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
    lines.push(chunk.toString("utf8", start, nl));
    start = nl + 1;
  }
  let oversized = 0;
  if (start < chunk.length && (opts.final || (start === 0 && opts.chunkIsFull))) {
    lines.push(chunk.toString("utf8", start));
    if (!opts.final) oversized = 1;
    start = chunk.length;
  }
  return { lines, consumed: start, oversized };
}
