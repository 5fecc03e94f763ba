/** Options of formatTable. */
export interface FormatTableOptions {
  /** Draw a rule of dashes under the header. */
  rule?: boolean;
  /** Clip longer cells to this many characters, ending in "..." (a 4 KB argv must not widen every row). */
  maxCellChars?: number;
}

/**
 * Lays out a table for a terminal: columns padded to their widest cell and
 * separated by two spaces, trailing blanks trimmed, one "\n" after each row.
 * The one table printer of the `spamtrace` and `spamtrace-probe` CLIs.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], opts: FormatTableOptions = {}): string {
  const max = opts.maxCellChars ?? Infinity;
  const clip = (cell: string): string => (cell.length > max ? `${cell.slice(0, max - 3)}...` : cell);
  const clipped = rows.map((row) => row.map(clip));
  const widths = header.map((h, i) => Math.max(h.length, ...clipped.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  const lines = [line(header), ...(opts.rule ? [line(widths.map((w) => "-".repeat(w)))] : []), ...clipped.map(line)];
  return lines.map((l) => `${l}\n`).join("");
}
