import { stat } from "node:fs/promises";

/** Device, inode and birth time of path, decimal; null when it does not exist. */
export async function identityOf(path: string): Promise<{ dev: string; ino: string; birth: string } | null> {
  try {
    const info = await stat(path, { bigint: true });
    return { dev: info.dev.toString(), ino: info.ino.toString(), birth: info.birthtimeNs.toString() };
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/**
 * True when path exists and is the file identified by dev, ino and birth
 * time. Birth times are compared only where both are known: ext4 hands a
 * freed inode number to the next new file, such as the next rotated log.
 */
export async function sameInode(path: string, file: { dev: string; ino: string; birth: string }): Promise<boolean> {
  const id = await identityOf(path);
  if (id === null || id.dev !== file.dev || id.ino !== file.ino) return false;
  return id.birth === "0" || file.birth === "0" || id.birth === file.birth;
}

/** True for the errors of a path that does not exist (any more). */
export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}
