// The two bundles `npm run build` makes: the collector bundle (dist/cli.js +
// chunks, npm dependencies left external: the collector installs them) and
// the probe bundle (dist/spamtrace-probe.cjs: ONE file, every dependency
// inside, runs with plain `node` on Node 18 and 20). Fails when the probe
// bundle reaches collector-only code or a forbidden package.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, type Metafile } from "esbuild";
import { REPO_ROOT } from "./package-info.js";
import { PROBE_BUILD_PLUGINS } from "./probe-build-plugins.js";

/** Where `npm run build` writes. */
export const DIST_DIR = join(REPO_ROOT, "dist");
/** The probe bundle's name: CommonJS so that it runs alone, whatever package.json ("type") sits above it. */
export const PROBE_BUNDLE_NAME = "spamtrace-probe.cjs";
/** The probe bundle `npm run build` makes. */
export const PROBE_BUNDLE = join(DIST_DIR, PROBE_BUNDLE_NAME);
/** esbuild's metafile of the probe bundle (inputs and bytes per input), beside it. */
const PROBE_METAFILE_NAME = "spamtrace-probe.meta.json";

/**
 * Packages (and source folders) the probe must never carry: the collector's
 * store, mail and SSH dependencies, and the CLI framework / helpers that
 * declare Node >= 20 (commander 14, p-limit 7).
 */
export const PROBE_FORBIDDEN = ["chdb", "@chdb/", "@clickhouse/client", "nodemailer", "node-ssh", "ssh2", "zod", "commander", "p-limit", "tsx", "node-forge", "collector/"];

/**
 * APIs newer than Node 18 (V8 10.2) that esbuild cannot lower: a call in the
 * probe bundle would throw on Debian 12 / RHEL 9. None occurs today; a new
 * dependency using one must be guarded or avoided.
 */
export const NODE20_ONLY_CALLS = [".toSorted(", ".toReversed(", ".toSpliced(", "Object.groupBy(", "Map.groupBy(", "Promise.withResolvers(", "Array.fromAsync(", "AbortSignal.any(", ".getBuiltinModule(", ".styleText(", ".isSubsetOf(", ".symmetricDifference("];

/** Node releases the probe bundle targets: Debian 12's and RHEL 9's default nodejs is 18. */
const PROBE_TARGET = "node18";

export interface BuildResult {
  version: string;
  probeBytes: number;
  /** Bytes of the probe bundle per package ("(spamtrace)" for the project's own sources). */
  probeBreakdown: [string, number][];
}

/** Builds both bundles with `version` compiled in, into `outDir` (emptied first). */
export async function buildAll(version: string, outDir = DIST_DIR): Promise<BuildResult> {
  rmSync(outDir, { recursive: true, force: true });
  const define = { __SPAMTRACE_VERSION__: JSON.stringify(version) };
  await build({
    // parse-log's worker thread loads its own entry (dist/parse-log-worker.js).
    entryPoints: { cli: join(REPO_ROOT, "collector/cli.ts"), "parse-log-worker": join(REPO_ROOT, "collector/parse-log/parse-log-worker.ts") },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    splitting: true,
    outdir: outDir,
    define,
    logLevel: "warning",
  });
  const probe = await build({
    entryPoints: [join(REPO_ROOT, "probe/cli.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: PROBE_TARGET,
    minify: true,
    // Optional native add-ons are never loaded by the probe; a `.node` file cannot live in one JS file.
    external: ["*.node", "cpu-features"],
    outfile: join(outDir, PROBE_BUNDLE_NAME),
    define,
    metafile: true,
    legalComments: "none",
    plugins: PROBE_BUILD_PLUGINS,
    banner: { js: "#!/usr/bin/env node" },
    // shared/version.ts reads package.json through import.meta only when no version is
    // defined; that branch is removed here, and the check below proves it.
    logOverride: { "empty-import-meta": "silent" },
    logLevel: "warning",
  });
  writeFileSync(join(outDir, PROBE_METAFILE_NAME), JSON.stringify(probe.metafile));
  checkProbeBundle(probe.metafile, readFileSync(join(outDir, PROBE_BUNDLE_NAME), "utf8"));
  const output = Object.values(probe.metafile.outputs)[0]!;
  return { version, probeBytes: output.bytes, probeBreakdown: bytesByPackage(probe.metafile) };
}

/** Throws when the probe bundle reaches forbidden code or still reads package.json / TypeScript at run time. */
export function checkProbeBundle(metafile: Metafile, code: string): void {
  const inputs = Object.keys(metafile.inputs);
  const bad = inputs.filter((input) => PROBE_FORBIDDEN.some((f) => input.startsWith(f) || input.includes(`node_modules/${f}`)));
  if (bad.length > 0) throw new Error(`probe bundle carries collector-only or Node >= 20 code: ${bad.slice(0, 10).join(", ")}`);
  const newer = NODE20_ONLY_CALLS.filter((call) => code.includes(call));
  if (newer.length > 0) throw new Error(`probe bundle calls APIs Node 18 lacks: ${newer.join(", ")}`);
  for (const marker of ["import.meta", "package.json", "tsx/esm"]) {
    if (code.includes(marker)) throw new Error(`probe bundle still refers to ${marker}: it must run alone, with the version compiled in`);
  }
}

/** The probe bundle's bytes grouped by npm package, largest first. */
export function bytesByPackage(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match ? match[1]! : "(spamtrace)";
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

/** "482.1 KiB". */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
