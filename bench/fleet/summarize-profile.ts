// `tsx bench/fleet/summarize-profile.ts FILE.cpuprofile [TOP] [FROM_S] [TO_S]`: where a
// V8 CPU profile (node --cpu-prof) spent its time: idle share, then the
// functions with the most self time, the source files (or packages) with the
// most self time, and the functions with the most total time (self and callees:
// which activity costs what). FROM_S and TO_S keep only that part of the run
// (e.g. skip the start-up, or keep a restart storm).
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, fromArg, toArg] = process.argv.slice(2);
if (!file) throw new Error("usage: summarize-profile.ts FILE.cpuprofile [TOP] [FROM_S] [TO_S]");
const top = Number(topArg ?? 25);
const fromUs = Number(fromArg ?? 0) * 1e6;
const toUs = toArg === undefined ? Infinity : Number(toArg) * 1e6;
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
let elapsedUs = 0;
profile.samples.forEach((id, k) => {
  elapsedUs += profile.timeDeltas[k] ?? 0;
  if (elapsedUs >= fromUs && elapsedUs < toUs) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[k] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const where = (n: ProfileNode): string => {
  const url = n.callFrame.url.replace(/^file:\/\//, "");
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return `npm:${pkg}`;
  if (url === "") return "(native)";
  if (url.startsWith("node:")) return url;
  return url.replace(/^.*?\/(collector|shared|probe|bench)\//, "$1/");
};
const label = (n: ProfileNode): string => `${n.callFrame.functionName || "(anonymous)"} ${where(n)}:${n.callFrame.lineNumber + 1}`;
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const name = label(byId.get(at)!);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}
const fn = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const name = label(n);
  fn.set(name, (fn.get(name) ?? 0) + us);
  files.set(where(n), (files.get(where(n)) ?? 0) + us);
}
const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`${title}\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)} ${(us / 1e6).toFixed(1).padStart(7)} s  ${k}\n`);
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
print("self time by function:", fn);
print("self time by file / package:", files);
print("total time (self and callees) by function:", inclusive);
