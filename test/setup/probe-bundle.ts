import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildAll, PROBE_BUNDLE, PROBE_BUNDLE_NAME, type BuildResult } from "../../scripts/build-bundles.js";
import { readPackageVersion, REPO_ROOT } from "../../scripts/package-info.js";

/** Builds both bundles into `outDir` (a test's own folder: no race with dist/) and returns the probe bundle's path. */
export async function buildProbeBundle(outDir: string, version: string): Promise<{ bundle: string; result: BuildResult }> {
  const result = await buildAll(version, outDir);
  return { bundle: join(outDir, PROBE_BUNDLE_NAME), result };
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** dist/spamtrace-probe.cjs, rebuilt (`npm run build`) when missing or older than any probe, shared or build source. */
export async function ensureProbeBundle(): Promise<string> {
  const built = existsSync(PROBE_BUNDLE) ? statSync(PROBE_BUNDLE).mtimeMs : 0;
  const stale = ["probe", "shared", "scripts"].some((dir) => newestSource(join(REPO_ROOT, dir)) > built);
  if (stale) await buildAll(readPackageVersion());
  return PROBE_BUNDLE;
}
