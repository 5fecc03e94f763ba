import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The collector's folders form a one-way data path: receive → store →
// detect → incidents → alert, driven by pipeline/, with vocabulary/ (findings,
// severities, IP networks) shared below them. This reads every import of
// collector/ and fails on a cycle between folders, or on a step that reaches
// back up the path.

const root = dirname(fileURLToPath(import.meta.url));
const repo = resolve(root, "..");

interface Edge {
  from: string;
  to: string;
  file: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** "detect" for collector/detect/rules/x.ts, "(root)" for collector/cli.ts, "probe/" for anything outside collector/. */
function folderOf(path: string): string {
  const rel = relative(root, path);
  if (rel.startsWith("..")) return `${relative(repo, path).split("/")[0]}/`;
  const parts = rel.split("/");
  return parts.length === 1 ? "(root)" : parts[0]!;
}

const isTest = (file: string): boolean => /\.test(-support)?\.ts$/.test(file);

/** Imports between folders: static, `export ... from` and dynamic `import("...")`. */
function edges(files: readonly string[]): Edge[] {
  const out: Edge[] = [];
  for (const file of files) {
    for (const m of readFileSync(file, "utf8").matchAll(/(?:\bfrom|\bimport)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      const from = folderOf(file);
      const to = folderOf(resolve(dirname(file), m[1]!));
      if (from !== to) out.push({ from, to, file: relative(repo, file) });
    }
  }
  return out;
}

/** One folder cycle (as a path a → b → ... → a), or undefined. */
function findCycle(list: readonly Edge[]): string[] | undefined {
  const next = new Map<string, Set<string>>();
  for (const e of list) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "open") return [...stack.slice(stack.indexOf(node)), node];
    if (state.get(node) === "done") return undefined;
    state.set(node, "open");
    stack.push(node);
    for (const to of next.get(node) ?? []) {
      const cycle = visit(to);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of [...next.keys()].sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const files = tsFiles(root);
const production = edges(files.filter((f) => !isTest(f)));
const all = edges(files);
const show = (list: readonly Edge[]): string[] => list.map((e) => `${e.file}: ${e.from} -> ${e.to}`);

describe("imports between collector folders", () => {
  it("form no cycle", () => {
    expect(findCycle(production)).toBeUndefined();
  });
  it("go one way along the data path: incidents and alert never import detect, detect never imports what comes after it", () => {
    const later: Record<string, readonly string[]> = {
      vocabulary: ["detect", "incidents", "alert", "relay-check", "pipeline"],
      detect: ["incidents", "alert", "relay-check", "pipeline"],
      incidents: ["detect", "alert", "relay-check", "pipeline"],
      alert: ["detect", "relay-check", "pipeline"],
      "relay-check": ["detect", "alert", "pipeline"],
    };
    expect(show(production.filter((e) => later[e.from]?.includes(e.to)))).toEqual([]);
  });
  it("never reach into the probe's internals, tests included (what both sides need is in shared/)", () => {
    expect(show(all.filter((e) => e.to === "probe/"))).toEqual([]);
  });
  it("finds a cycle when there is one (the check itself)", () => {
    expect(findCycle([{ from: "a", to: "b", file: "x" }, { from: "b", to: "c", file: "y" }, { from: "c", to: "a", file: "z" }])).toEqual(["a", "b", "c", "a"]);
    expect(findCycle([{ from: "a", to: "b", file: "x" }, { from: "a", to: "c", file: "y" }, { from: "b", to: "c", file: "z" }])).toBeUndefined();
  });
});
