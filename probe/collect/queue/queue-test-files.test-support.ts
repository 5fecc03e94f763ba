import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project's root folder. */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
/** Public sample corpus, outside the project; absent on some machines. */
export const CORPUS_DIR = resolve(REPO_ROOT, "../shared/corpus");

/** Text of a corpus file (path relative to the corpus), or null when the corpus is not on this machine. */
export function corpusText(relative: string): string | null {
  const path = resolve(CORPUS_DIR, relative);
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/** Text of a file in test/fixtures/queue. */
export function fixtureText(name: string): string {
  return readFileSync(resolve(REPO_ROOT, "test/fixtures/queue", name), "utf8");
}
