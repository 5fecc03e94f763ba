// `npm run build [-- --version X.Y.Z] [--out DIR]`: both bundles (scripts/build-bundles.ts)
// into DIR (default dist/), version compiled in (default: package.json's), and
// what the probe bundle is made of.
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { buildAll, DIST_DIR, kib } from "./build-bundles.js";
import { readPackageVersion } from "./package-info.js";

const { values } = parseArgs({ options: { version: { type: "string" }, out: { type: "string" } }, strict: true });
const out = values.out === undefined ? DIST_DIR : resolve(values.out);
const result = await buildAll(values.version ?? readPackageVersion(), out);
const parts = result.probeBreakdown.map(([name, bytes]) => `${name} ${kib(bytes)}`).join(", ");
process.stdout.write(`built ${out}/cli.js and ${out}/spamtrace-probe.cjs ${result.version} (probe ${kib(result.probeBytes)} minified: ${parts})\n`);
