import type { FuzzOptions } from "./fuzz-options.js";
import type { FuzzFailure, TargetReport } from "./run-target.js";

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : i === 4 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
}

/** One row per target: inputs, characters, slowest input (or line, see `per`), mean time per input, recognised share. */
export function formatSummary(reports: readonly TargetReport[], header: string): string {
  const head = ["target", "inputs", "chars", "max ms", "per", "(input chars)", "mean µs/input", "recognised", "notes"];
  const rows = reports.map((r) => {
    const s = r.summary;
    const share = s === null || s.units === 0 ? "-" : `${((100 * s.recognised) / s.units).toFixed(1)}% of ${s.units} ${s.unit}`;
    return [
      r.name,
      String(r.inputs),
      String(r.chars),
      r.maxMs.toFixed(2),
      r.timed,
      String(r.maxMsInputChars),
      ((1000 * r.totalMs) / Math.max(1, r.inputs)).toFixed(1),
      share,
      `${r.failures.length > 0 ? `${r.failures.length} FAILURE(S); ` : ""}${s?.notes ?? ""}`,
    ];
  });
  const total = reports.reduce((a, r) => a + r.inputs, 0);
  const maxMs = Math.max(0, ...reports.map((r) => r.maxMs));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  widths[widths.length - 1] = 0;
  return [
    header,
    pad(head, widths),
    ...rows.map((row) => pad(row, widths)),
    `total: ${total} inputs; slowest ${maxMs.toFixed(2)} ms (an input over 20% of the bound is re-run twice on fresh parsers and its fastest run counts)`,
  ].join("\n");
}

/** A failure as a paragraph: target, kind, input index, message, preview, replay file and command. */
export function formatFailure(target: string, options: FuzzOptions, f: FuzzFailure): string {
  const env = `FUZZ_SEED=${options.seed} FUZZ_ITERATIONS=${options.iterations} FUZZ_TARGETS=${target}`;
  return [
    `${target}: ${f.kind} at input #${f.index} (${f.inputChars} chars)`,
    `  ${f.message.split("\n").join("\n  ")}`,
    `  input: ${f.preview}`,
    ...(f.inputFile === null ? [] : [`  whole input (JSON): ${f.inputFile}`]),
    `  replay: ${env} npx vitest run --project integration test/fuzz`,
    `      or: npx tsx test/fuzz/run-fuzz.ts --seed ${options.seed} --iterations ${options.iterations} --targets ${target}`,
  ].join("\n");
}
