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

/**
 * Undoes lsof's escaping of non-printable bytes in names: `\\`, `\b`, `\f`,
 * `\n`, `\r`, `\t` and `\xNN` (bytes, re-decoded as UTF-8). The `^X` form is
 * left as is because lsof prints a literal `^` unescaped, so it is ambiguous.
 */
export function decodeLsofEscapes(value: string): string {
  if (!value.includes("\\")) return value;
  const simple: Record<string, number> = { "\\": 0x5c, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09 };
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const char = value[i] as string;
    const next = value[i + 1];
    if (char === "\\" && next !== undefined) {
      const hex = value.slice(i + 2, i + 4);
      if (next === "x" && /^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 3;
        continue;
      }
      const code = simple[next];
      if (code !== undefined) {
        bytes.push(code);
        i += 1;
        continue;
      }
    }
    bytes.push(...Buffer.from(char, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
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
