import { readFileSync } from "node:fs";

/** spamtrace's version, from package.json. */
export const SPAMTRACE_VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
