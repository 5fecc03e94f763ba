import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** One entry of a fake host tree: file text, an executable, a directory, or a symlink (target relative to the link, as packages ship them). */
export type FakeHostEntry = string | { exec: string } | { dir: true } | { link: string };

/** A temporary directory standing for a host's "/"; remove() deletes it. */
export interface FakeHostTree {
  /** Path to pass as fsRoot. */
  root: string;
  /** Deletes the tree. */
  remove(): Promise<void>;
}

/** Creates a fake host filesystem from host path → entry. */
export async function createFakeHostTree(entries: Record<string, FakeHostEntry>): Promise<FakeHostTree> {
  const root = await mkdtemp(join(tmpdir(), "spamtrace-fake-host-"));
  for (const [hostPath, entry] of Object.entries(entries)) {
    const local = join(root, hostPath);
    if (typeof entry === "object" && "dir" in entry) {
      await mkdir(local, { recursive: true });
      continue;
    }
    await mkdir(dirname(local), { recursive: true });
    if (typeof entry === "string") {
      await writeFile(local, entry);
    } else if ("exec" in entry) {
      await writeFile(local, entry.exec);
      await chmod(local, 0o755);
    } else {
      await symlink(entry.link, local);
    }
  }
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}
