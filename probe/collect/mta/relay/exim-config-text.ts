import type { HostFiles } from "../host-files.js";

/** One ACL statement: its verb and its condition/modifier lines ("hosts = +relay_from_hosts"). */
export interface EximAclStatement {
  verb: string;
  conditions: { name: string; negated: boolean; value: string }[];
  /** The statement as written, one line. */
  text: string;
}

/** The parts of an Exim runtime configuration relay judging needs. */
export interface EximConfigText {
  /** Main-section options ("primary_hostname", "acl_smtp_rcpt"…). */
  options: Map<string, string>;
  /** Named lists: "domainlist local_domains" → value. */
  lists: Map<string, string>;
  /** ACLs by name. */
  acls: Map<string, EximAclStatement[]>;
  /** Files read (the configuration and its .include files). */
  files: string[];
}

const ACL_VERBS = new Set(["accept", "defer", "deny", "discard", "drop", "require", "warn"]);
const MAX_INCLUDE_DEPTH = 8;

/**
 * Parses an Exim configuration file as Exim reads it: comments and blank
 * lines dropped, backslash continuations joined, macros (NAME = value)
 * substituted, .ifdef/.ifndef/.else/.endif honoured, .include(_if_exists)
 * read in; then the main options, named lists and ACLs collected.
 */
export async function readEximConfigText(files: HostFiles, path: string): Promise<EximConfigText | null> {
  const read: string[] = [];
  const lines = await logicalLines(files, path, read, 0);
  if (lines === null) return null;
  const macros = new Map<string, string>();
  const active: boolean[] = [];
  const options = new Map<string, string>();
  const lists = new Map<string, string>();
  const acls = new Map<string, EximAclStatement[]>();
  let section = "main";
  let acl: EximAclStatement[] | undefined;
  for (const raw of lines) {
    const cond = /^\.(ifdef|ifndef|else|endif)\s*(\S*)/.exec(raw);
    if (cond) {
      if (cond[1] === "ifdef") active.push(macros.has(cond[2] ?? ""));
      else if (cond[1] === "ifndef") active.push(!macros.has(cond[2] ?? ""));
      else if (cond[1] === "else") active.push(!(active.pop() ?? true));
      else active.pop();
      continue;
    }
    if (active.includes(false)) continue;
    const macro = /^([A-Z][A-Z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (macro && section === "main") {
      macros.set(macro[1]!, substitute(macro[2]!, macros));
      continue;
    }
    const line = substitute(raw, macros);
    const begin = /^begin\s+(\w+)/.exec(line);
    if (begin) {
      section = begin[1]!;
      continue;
    }
    if (section === "main") {
      const named = /^(domainlist|hostlist|addresslist|localpartlist)\s+(\w+)\s*=\s*(.*)$/.exec(line);
      if (named) lists.set(`${named[1]} ${named[2]}`, named[3]!.trim());
      else {
        const option = /^(\w+)\s*=\s*(.*)$/.exec(line);
        if (option) options.set(option[1]!, option[2]!.trim());
      }
    } else if (section === "acl") {
      const name = /^(\S+):\s*$/.exec(line);
      if (name) {
        acl = [];
        acls.set(name[1]!, acl);
        continue;
      }
      const words = /^\s*(\w+)\s*(.*)$/.exec(line);
      if (!words || acl === undefined) continue;
      if (ACL_VERBS.has(words[1]!)) {
        acl.push({ verb: words[1]!, conditions: [], text: line.trim() });
        const rest = words[2]!.trim();
        if (rest !== "") addCondition(acl[acl.length - 1]!, rest);
      } else if (acl.length > 0) {
        const last = acl[acl.length - 1]!;
        last.text += ` ${line.trim()}`;
        addCondition(last, line.trim());
      }
    }
  }
  return { options, lists, acls, files: read };
}

function addCondition(statement: EximAclStatement, text: string): void {
  const m = /^(!?)\s*(\w+)\s*=\s*(.*)$/.exec(text);
  if (m) statement.conditions.push({ negated: m[1] === "!", name: m[2]!, value: m[3]!.trim() });
}

function substitute(text: string, macros: Map<string, string>): string {
  if (macros.size === 0 || !/[A-Z]/.test(text)) return text;
  return text.replace(/\b[A-Z][A-Z0-9_]*\b/g, (name) => macros.get(name) ?? name);
}

/** The file's logical lines (continuations joined, comments dropped), includes read in place. */
async function logicalLines(files: HostFiles, path: string, read: string[], depth: number): Promise<string[] | null> {
  const text = await files.readText(path);
  if (text === null) return null;
  read.push(path);
  const out: string[] = [];
  let pending = "";
  for (const physical of text.split("\n")) {
    const trimmed = pending === "" ? physical.replace(/\s+$/, "") : physical.trim();
    if (pending === "" && /^\s*(#|$)/.test(trimmed)) continue;
    if (trimmed.endsWith("\\")) {
      pending += trimmed.slice(0, -1);
      continue;
    }
    const line = pending + trimmed;
    pending = "";
    const include = /^\.include(_if_exists)?\s+(\S+)/.exec(line.trim());
    if (include && depth < MAX_INCLUDE_DEPTH) {
      const inner = await logicalLines(files, include[2]!, read, depth + 1);
      if (inner !== null) out.push(...inner);
      continue;
    }
    out.push(line.startsWith(".") ? line.trim() : line);
  }
  return out;
}

/** Items of an Exim list: ":" separated, or "<x" naming another separator; "::" is a literal colon. */
export function splitEximList(value: string): string[] {
  let text = value.trim();
  let sep = ":";
  const custom = /^<\s*(\S)/.exec(text);
  if (custom) {
    sep = custom[1]!;
    text = text.slice(custom[0].length);
  }
  const parts = sep === ":" ? text.replace(/::/g, "\u0000").split(":").map((p) => p.replace(/\u0000/g, ":")) : text.split(sep);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}
