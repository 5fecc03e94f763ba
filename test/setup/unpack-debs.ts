import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { run } from "./mta/lab-common.js";

/**
 * `apt-get download`s Debian packages (name or name=version) and `dpkg -x`es
 * them all into `${cacheDir}/root`, which appears whole or not at all. Nothing
 * is installed, so no dpkg lock: `apt-get update` (which takes apt's lock) runs
 * only when the download fails, as on a machine with no package lists yet.
 */
export async function unpackDebs(packages: readonly string[], cacheDir: string): Promise<string> {
  const root = join(cacheDir, "root");
  const work = join(cacheDir, `download-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  // As root, apt's _apt sandbox user could not write into our folder.
  const sandbox = process.getuid?.() === 0 ? ["-o", "APT::Sandbox::User=root"] : [];
  const download = () => run("apt-get", ["download", "-q", ...sandbox, ...packages], { cwd: work, timeoutMs: 5 * 60_000 });
  try {
    await download();
  } catch {
    await run("apt-get", ["update", "-q"], { timeoutMs: 10 * 60_000 });
    await download();
  }
  const debs = (await readdir(work)).filter((f) => f.endsWith(".deb"));
  if (debs.length !== packages.length) throw new Error(`apt-get download of ${packages.join(" ")} gave ${debs.join(", ") || "nothing"}`);
  for (const deb of debs) await run("dpkg", ["-x", join(work, deb), join(work, "root")], { timeoutMs: 60_000 });
  await rm(root, { recursive: true, force: true });
  await rename(join(work, "root"), root);
  await rm(work, { recursive: true, force: true });
  return root;
}
