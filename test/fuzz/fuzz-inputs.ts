import type { FuzzRandom } from "./fuzz-random.js";
import { clampInput, MAX_INPUT_CHARS, mutate, runLength } from "./mutate-input.js";

const STRUCTURE_ALPHABET = "aZ09 <>[]()=:,;.@-_/\"\\\t#*!";

/** A line that owes nothing to any seed: printable ASCII, structure-heavy text, or random bytes read as Latin-1 or UTF-8. */
export function randomLine(rng: FuzzRandom): string {
  const n = rng.chance(0.9) ? rng.int(0, 200) : Math.min(runLength(rng), MAX_INPUT_CHARS);
  const kind = rng.int(0, 3);
  if (kind === 0) {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(32, 126));
    return s;
  }
  if (kind === 1) {
    let s = "";
    for (let i = 0; i < n; i++) s += STRUCTURE_ALPHABET[rng.int(0, STRUCTURE_ALPHABET.length - 1)];
    return s;
  }
  return Buffer.from(rng.bytes(n)).toString(kind === 2 ? "latin1" : "utf8");
}

/**
 * Seed lines grouped by the file they came from. A seed is drawn by picking a
 * group first, so the few lines of a small sample (OpenSMTPD, qmail, one
 * Postfix daemon) are drawn as often as a big log's.
 */
export type SeedPool = ReadonlyArray<readonly string[]>;

/** A line for a line parser: mostly a mutated seed, sometimes a seed as is (keeps the recognised path hot), sometimes random. */
export function fuzzLine(rng: FuzzRandom, pool: SeedPool): string {
  const groups = pool.filter((g) => g.length > 0);
  const r = rng.next();
  if (groups.length === 0 || r < 0.08) return randomLine(rng);
  const group = rng.pick(groups);
  const seed = rng.pick(group);
  if (r < 0.18) return seed;
  // Splice partners come from the same group half the time, from anywhere otherwise.
  return mutate(rng, seed, rng.chance(0.5) ? group : rng.pick(groups));
}

/**
 * A multi-line document (a queue listing, /proc/net/tcp, lsof -F output):
 * a window of consecutive lines of a seed document, some lines mutated,
 * sometimes lines shuffled, repeated, dropped, or borrowed from `foreign`
 * (other formats), sometimes with CRLF endings.
 */
export function fuzzDocument(rng: FuzzRandom, documents: readonly string[], foreign: readonly string[] = []): string {
  if (documents.length === 0 || rng.chance(0.03)) return randomLine(rng);
  const lines = rng.pick(documents).split("\n");
  let window = lines;
  if (lines.length > 12 && rng.chance(0.8)) {
    const start = rng.int(0, lines.length - 1);
    window = lines.slice(start, start + rng.int(1, 12));
  }
  const out = [...window];
  if (rng.chance(0.1)) return out.join("\n");
  const edits = rng.int(1, 3);
  for (let e = 0; e < edits; e++) {
    const r = rng.next();
    const i = rng.int(0, Math.max(0, out.length - 1));
    if (r < 0.6) out[i] = mutate(rng, out[i] ?? "", lines);
    else if (r < 0.7) out.splice(i, 1);
    else if (r < 0.8 && foreign.length > 0) out.splice(i, 0, rng.pick(foreign));
    else if (r < 0.87) out.splice(i, 0, ...new Array<string>(rng.int(2, 200)).fill(out[i] ?? ""));
    else if (r < 0.94) out.sort(() => rng.next() - 0.5);
    else out.splice(i, 0, randomLine(rng));
  }
  const text = out.join(rng.chance(0.05) ? "\r\n" : "\n");
  return clampInput(rng.chance(0.3) ? `${text}\n` : text);
}
