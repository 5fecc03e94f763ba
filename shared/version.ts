import { readFileSync } from "node:fs";

// `npm run build` replaces this name with the release version (esbuild
// `define`), so a bundle never reads package.json at run time: the probe
// bundle ships alone. Run from sources (tsx) it is undeclared at run time and
// `typeof` reads "undefined" without throwing.
declare const __SPAMTRACE_VERSION__: string | undefined;

/** spamtrace's version: injected at build time, else from package.json (sources). */
export const SPAMTRACE_VERSION: string = typeof __SPAMTRACE_VERSION__ === "string" ? __SPAMTRACE_VERSION__ : versionFromPackageJson();

function versionFromPackageJson(): string {
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}
