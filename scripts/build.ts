// `npm run build [-- --version X.Y.Z]`: both bundles (scripts/build-bundles.ts), version
// compiled in (default: package.json's), and what the probe bundle is made of.
import { parseArgs } from "node:util";
import { buildAll, kib } from "./build-bundles.js";
import { readPackageVersion } from "./package-info.js";

const { values } = parseArgs({ options: { version: { type: "string" } }, strict: true });
const result = await buildAll(values.version ?? readPackageVersion());
const parts = result.probeBreakdown.map(([name, bytes]) => `${name} ${kib(bytes)}`).join(", ");
process.stdout.write(`built dist/cli.js and dist/spamtrace-probe.cjs ${result.version} (probe ${kib(result.probeBytes)} minified: ${parts})\n`);
