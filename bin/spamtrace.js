#!/usr/bin/env node
// Runs the prebuilt bundle (`npm run build`, dist/) when it is newer than
// every source file it is built from: tsx start-up costs ~0.6 s more, which
// dominates short commands such as `spamtrace parse-log` on one file.
// Otherwise runs the TypeScript sources through tsx (Node 20 cannot strip types).
// The collector release has no sources (and no tsx): it always runs the bundle.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bundle = `${root}dist/cli.js`;

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const fromSources = existsSync(`${root}collector/cli.ts`);
let fresh = !fromSources;
if (fromSources) {
  try {
    const built = statSync(bundle).mtimeMs;
    fresh = ["collector", "shared", "probe"].every((dir) => newestSource(`${root}${dir}`) <= built);
  } catch {
    fresh = false;
  }
}
if (fresh) {
  await import(bundle);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../collector/cli.ts");
}
