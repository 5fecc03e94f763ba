import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * Reads host files under a root: "/" on a real host, a fake tree in tests
 * (or the host's filesystem mounted into a container). Paths given and
 * returned are host paths; only the reads are prefixed.
 */
export class HostFiles {
  /** @param fsRoot directory that stands for the host's "/". */
  constructor(readonly fsRoot = "/") {}

  /** Where a host path is on this machine. */
  local(hostPath: string): string {
    return this.fsRoot === "/" ? hostPath : join(this.fsRoot, hostPath);
  }

  /** True when the host path exists (following symlinks). */
  async exists(hostPath: string): Promise<boolean> {
    try {
      await stat(this.local(hostPath));
      return true;
    } catch {
      return false;
    }
  }

  /** True when the host path is a regular file with an execute bit (following symlinks). */
  async isExecutable(hostPath: string): Promise<boolean> {
    try {
      const info = await stat(this.local(hostPath));
      return info.isFile() && (info.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  }

  /** Text of a host file, or null when it cannot be read. */
  async readText(hostPath: string): Promise<string | null> {
    try {
      return await readFile(this.local(hostPath), "utf8");
    } catch {
      return null;
    }
  }

  /** Entry names of a host directory, sorted; [] when it cannot be read. */
  async list(hostPath: string): Promise<string[]> {
    try {
      return (await readdir(this.local(hostPath))).sort();
    } catch {
      return [];
    }
  }

  /**
   * The host path a symlink finally points to (as /proc/PID/exe would show
   * it), or null when hostPath is not a symlink or cannot be resolved.
   */
  async resolveLink(hostPath: string): Promise<string | null> {
    try {
      if (!(await lstat(this.local(hostPath))).isSymbolicLink()) return null;
      const resolved = await realpath(this.local(hostPath));
      if (this.fsRoot === "/") return resolved;
      const root = await realpath(this.fsRoot);
      return resolved.startsWith(root + "/") ? resolved.slice(root.length) : null;
    } catch {
      return null;
    }
  }
}
