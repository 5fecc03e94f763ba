import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Repository root (ends with "/"). */
export const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));

/** package.json's version: the default release version. */
export function readPackageVersion(): string {
  return (JSON.parse(readFileSync(`${REPO_ROOT}package.json`, "utf8")) as { version: string }).version;
}
