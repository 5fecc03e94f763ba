/** One file set of `lsof -F` output: the lines from an `f` line to the next `f` or `p` line. */
export interface LsofFile {
  /** File descriptor (`f`): a number, or a name such as "cwd", "txt", "mem". */
  fd: string;
  /** Other field values by field letter, e.g. { t: "IPv4", d: "5906", P: "TCP", n: "127.0.0.1:25" }. */
  fields: Record<string, string>;
  /** TCP/TPI info (`T` lines "KEY=VALUE"), e.g. { ST: "LISTEN", QR: "0", QS: "0" }. */
  tcp: Record<string, string>;
}

/** One process set of `lsof -F` output. */
export interface LsofProcess {
  /** Process id (`p`). */
  pid: number;
  /** Process-level field values by letter, e.g. { c: "master", R: "1", u: "0", L: "root" }. */
  fields: Record<string, string>;
  /** Its files, in output order. */
  files: LsofFile[];
}

/** Parsed `lsof -F` output and how many lines could not be placed. */
export interface ParsedLsofFields {
  /** Process sets in output order (lsof may repeat a pid, e.g. once per task). */
  processes: LsofProcess[];
  /** Lines skipped: empty identifiers, a bad pid, or fields before the first `p` line. */
  skipped: number;
}

/** Byte after the backslash → the byte it stands for: `\\`, `\b`, `\f`, `\n`, `\r`, `\t`. */
const SIMPLE_ESCAPES: ReadonlyMap<number, number> = new Map([[0x5c, 0x5c], [0x62, 0x08], [0x66, 0x0c], [0x6e, 0x0a], [0x72, 0x0d], [0x74, 0x09]]);

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * Undoes lsof's escaping of non-printable bytes in names: `\\`, `\b`, `\f`,
 * `\n`, `\r`, `\t` and `\xNN` (bytes, re-decoded as UTF-8). The `^X` form is
 * left as is because lsof prints a literal `^` unescaped, so it is ambiguous.
 */
export function decodeLsofEscapes(value: string): string {
  if (!value.includes("\\")) return value;
  // Works on the UTF-8 bytes, where a backslash is always one byte: encoding one character at a
  // time was slow (50 ms for a 100,000-character name) and split surrogate pairs into two U+FFFD.
  const input = Buffer.from(value, "utf8");
  const out = Buffer.alloc(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] as number;
    if (byte === 0x5c && i + 1 < input.length) {
      const next = input[i + 1] as number;
      const hi = hexValue(input[i + 2]);
      const lo = hexValue(input[i + 3]);
      if (next === 0x78 /* x */ && hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 3;
        continue;
      }
      const code = SIMPLE_ESCAPES.get(next);
      if (code !== undefined) {
        out[n++] = code;
        i += 1;
        continue;
      }
    }
    out[n++] = byte;
  }
  return out.toString("utf8", 0, n);
}

/**
 * Parses `lsof -F` output with newline terminators (not `-F0`). Each line is
 * a field letter followed by its value: `p` starts a process set, `f` a file
 * set inside it, `T` lines carry TCP info as KEY=VALUE. Values of `n`, `c`
 * and `L` are unescaped with decodeLsofEscapes. Never throws.
 */
export function parseLsofFields(text: string): ParsedLsofFields {
  const processes: LsofProcess[] = [];
  let skipped = 0;
  let process: LsofProcess | undefined;
  let file: LsofFile | undefined;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const id = line[0] as string;
    const raw = line.slice(1);
    const value = id === "n" || id === "c" || id === "L" ? decodeLsofEscapes(raw) : raw;
    if (id === "p") {
      if (!/^\d+$/.test(value)) {
        skipped++;
        process = undefined;
        file = undefined;
        continue;
      }
      process = { pid: Number(value), fields: {}, files: [] };
      file = undefined;
      processes.push(process);
    } else if (process === undefined) {
      skipped++;
    } else if (id === "f") {
      file = { fd: value, fields: {}, tcp: {} };
      process.files.push(file);
    } else if (file === undefined) {
      process.fields[id] = value;
    } else if (id === "T") {
      const eq = value.indexOf("=");
      if (eq > 0) file.tcp[value.slice(0, eq)] = value.slice(eq + 1);
      else skipped++;
    } else {
      file.fields[id] = value;
    }
  }
  return { processes, skipped };
}
