import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A Debian package the tests need and a file that shows it is installed. */
export interface NeededPackage {
  name: string;
  /** Path that exists once the package is installed. */
  marker: string;
}

/**
 * Installs missing Debian packages (CI runs as root on a clean machine).
 * Throws when a package is missing and cannot be installed: tests needing a
 * real service must fail, never skip quietly.
 */
export async function ensureDebianPackages(packages: readonly NeededPackage[]): Promise<void> {
  const missing = packages.filter((p) => !existsSync(p.marker));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name);
  if (process.getuid?.() !== 0) {
    throw new Error(`test setup: Debian packages ${names.join(", ")} are missing and installing them needs root (apt-get install -y ${names.join(" ")})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const opts = { env, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 };
  try {
    await run("apt-get", ["update", "-q"], opts);
    await run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...names], opts);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`test setup: apt-get install ${names.join(" ")} failed: ${e.stderr?.slice(-2000) ?? e.message}`);
  }
  const still = missing.filter((p) => !existsSync(p.marker));
  if (still.length > 0) throw new Error(`test setup: after apt-get install, still missing ${still.map((p) => p.marker).join(", ")}`);
}
