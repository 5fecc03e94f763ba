import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Replaces `path` with `bytes` so that a crash (kill -9, power loss) leaves
 * either the old content or the new, never a torn file: write `path.tmp`,
 * fsync it, rename it over `path`, fsync the folder (the rename itself is
 * only durable once the folder is). Synchronous: the probe's few small state
 * files are written in the flush path, where ordering matters more than a
 * millisecond of event loop.
 */
export function writeDurably(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  const dir = openSync(dirname(path), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
