import type { FuzzRandom } from "./fuzz-random.js";
import { DELIMITERS, HOSTILE_CHARS, HOSTILE_NUMBERS, HOSTILE_TOKENS } from "./hostile-strings.js";

/** Longest input the fuzzer builds; the per-input time bound is meant for lines up to this length. */
export const MAX_INPUT_CHARS = 100_000;

/** Length of an inserted run: mostly short, sometimes up to MAX_INPUT_CHARS. */
export function runLength(rng: FuzzRandom): number {
  const r = rng.next();
  if (r < 0.45) return rng.int(1, 8);
  if (r < 0.75) return rng.int(9, 256);
  if (r < 0.93) return rng.int(257, 4_096);
  if (r < 0.99) return rng.int(4_097, 30_000);
  return rng.int(30_001, MAX_INPUT_CHARS);
}

/** An index in [0, s.length], often next to a delimiter (before it, on it, or after it). */
function position(rng: FuzzRandom, s: string): number {
  if (s.length === 0) return 0;
  if (rng.chance(0.6)) {
    for (let tries = 0; tries < 8; tries++) {
      const i = rng.int(0, s.length - 1);
      if (DELIMITERS.has(s[i] as string)) return Math.max(0, Math.min(s.length, i + rng.int(-1, 1)));
    }
  }
  return rng.int(0, s.length);
}

function room(s: string): number {
  return Math.max(0, MAX_INPUT_CHARS - s.length);
}

function repeatTo(token: string, length: number): string {
  return token.repeat(Math.max(1, Math.ceil(length / token.length))).slice(0, Math.max(length, 1));
}

/** Nothing, or one character to end an inserted run with. */
function breaker(rng: FuzzRandom): string {
  return rng.chance(0.5) ? "" : rng.pick(HOSTILE_CHARS);
}

function insertAt(s: string, i: number, text: string): string {
  return s.slice(0, i) + text + s.slice(i);
}

function tokens(s: string): string[] {
  return s.split(" ");
}

/** One mutation of `s`; `pool` supplies lines to splice with. */
type Mutation = (rng: FuzzRandom, s: string, pool: readonly string[]) => string;

const MUTATIONS: ReadonlyArray<readonly [weight: number, mutation: Mutation]> = [
  // Replace one character by a hostile one or any UTF-16 code unit.
  [3, (rng, s) => {
    const i = position(rng, s);
    const c = rng.chance(0.5) ? rng.pick(HOSTILE_CHARS) : String.fromCharCode(rng.int(0, 0xffff));
    return s.slice(0, i) + c + s.slice(i + 1);
  }],
  // Flip one bit of a character code.
  [2, (rng, s) => {
    if (s.length === 0) return s;
    const i = rng.int(0, s.length - 1);
    return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << rng.int(0, 15))) + s.slice(i + 1);
  }],
  // Truncate, often just before, on or after a delimiter.
  [3, (rng, s) => s.slice(0, position(rng, s))],
  // Drop the start (a line read from the middle).
  [1, (rng, s) => s.slice(position(rng, s))],
  // Delete a range.
  [2, (rng, s) => {
    const i = position(rng, s);
    return s.slice(0, i) + s.slice(Math.min(s.length, i + runLength(rng)));
  }],
  // Splice the head of this line with the tail of another.
  [3, (rng, s, pool) => {
    const other = pool.length > 0 ? rng.pick(pool) : s;
    return s.slice(0, position(rng, s)) + other.slice(position(rng, other));
  }],
  // Insert a run of one hostile character, sometimes followed by a character that breaks the run (where backtracking starts).
  [4, (rng, s) => insertAt(s, position(rng, s), rng.pick(HOSTILE_CHARS).repeat(Math.min(runLength(rng), room(s)) || 1) + breaker(rng))],
  // Stretch the character already at a position (many spaces after a '>', many '<' after a '<').
  [4, (rng, s) => {
    if (s.length === 0) return s;
    const i = Math.min(position(rng, s), s.length - 1);
    return insertAt(s, i, (s[i] as string).repeat(Math.min(runLength(rng), room(s)) || 1) + breaker(rng));
  }],
  // Insert a run of a format token.
  [4, (rng, s) => insertAt(s, position(rng, s), repeatTo(rng.pick(HOSTILE_TOKENS), Math.min(runLength(rng), room(s)))) ],
  // Duplicate a token of the line, possibly many times.
  [3, (rng, s) => {
    const t = tokens(s);
    const k = rng.int(0, t.length - 1);
    const token = `${t[k] ?? ""} `;
    const times = rng.chance(0.7) ? rng.int(1, 3) : Math.max(1, Math.floor(Math.min(runLength(rng), room(s)) / token.length));
    t.splice(k, 0, token.repeat(times).trimEnd());
    return t.join(" ");
  }],
  // Replace a token, or the text inside a pair of quotes, by a hostile token (a queue named "constructor").
  [2, (rng, s) => {
    const quoted = [...s.matchAll(/"[^"]*"/g)];
    if (quoted.length > 0 && rng.chance(0.5)) {
      const m = rng.pick(quoted);
      return `${s.slice(0, m.index)}"${rng.pick(HOSTILE_TOKENS)}"${s.slice(m.index + m[0].length)}`;
    }
    const t = tokens(s);
    t[rng.int(0, t.length - 1)] = rng.pick(HOSTILE_TOKENS);
    return t.join(" ");
  }],
  // Remove a token.
  [2, (rng, s) => {
    const t = tokens(s);
    t.splice(rng.int(0, t.length - 1), 1);
    return t.join(" ");
  }],
  // Swap two tokens.
  [1, (rng, s) => {
    const t = tokens(s);
    const i = rng.int(0, t.length - 1);
    const j = rng.int(0, t.length - 1);
    [t[i], t[j]] = [t[j] as string, t[i] as string];
    return t.join(" ");
  }],
  // Replace a digit run by an awkward number.
  [2, (rng, s) => {
    const runs = [...s.matchAll(/\d+/g)];
    if (runs.length === 0) return s;
    const m = rng.pick(runs);
    return s.slice(0, m.index) + rng.pick(HOSTILE_NUMBERS) + s.slice(m.index + m[0].length);
  }],
  // Change the case of a region.
  [1, (rng, s) => {
    const i = position(rng, s);
    const j = Math.min(s.length, i + rng.int(1, 40));
    const region = s.slice(i, j);
    return s.slice(0, i) + (rng.chance(0.5) ? region.toUpperCase() : region.toLowerCase()) + s.slice(j);
  }],
  // Line-ending damage: CR, LF, CRLF, NUL inside the line.
  [1, (rng, s) => insertAt(s, position(rng, s), rng.pick(["\r", "\n", "\r\n", "\0", "\n\n"]))],
  // Repeat the whole line.
  [1, (rng, s) => (s.length === 0 ? s : (s + rng.pick([" ", "", "\n", "\t"])).repeat(rng.int(2, Math.max(2, Math.min(50, Math.floor(room(s) / s.length))))))],
];

const TOTAL_WEIGHT = MUTATIONS.reduce((sum, [w]) => sum + w, 0);

function pickMutation(rng: FuzzRandom): Mutation {
  let r = rng.next() * TOTAL_WEIGHT;
  for (const [w, m] of MUTATIONS) {
    r -= w;
    if (r < 0) return m;
  }
  return (MUTATIONS[0] as readonly [number, Mutation])[1];
}

/** Keeps head and tail of an over-long input: the end of a line is where most backtracking ends. */
export function clampInput(s: string): string {
  if (s.length <= MAX_INPUT_CHARS) return s;
  const half = MAX_INPUT_CHARS / 2;
  return s.slice(0, half) + s.slice(s.length - half);
}

/** `seed` after 1 to 5 stacked mutations (mostly 1 or 2). */
export function mutate(rng: FuzzRandom, seed: string, pool: readonly string[]): string {
  let s = seed;
  const n = 1 + (rng.chance(0.5) ? 0 : rng.chance(0.5) ? 1 : rng.int(2, 4));
  for (let i = 0; i < n; i++) s = clampInput(pickMutation(rng)(rng, s, pool));
  return s;
}
