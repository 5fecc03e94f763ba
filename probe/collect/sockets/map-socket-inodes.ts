import { readdir, readlink } from "node:fs/promises";

/** A process file descriptor that refers to a socket. */
export interface SocketOwner {
  /** Process id (thread group id). */
  pid: number;
  /** File descriptor number in that process. */
  fd: number;
}

/** Options for mapSocketInodes. */
export interface MapSocketInodesOptions {
  /** Root of the proc filesystem; default "/proc" (a fake tree in tests). */
  procRoot?: string;
  /** Processes scanned in parallel; default 16. */
  concurrency?: number;
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;
const DEFAULT_CONCURRENCY = 16;

async function readSocketFds(fdDir: string, pending: ReadonlySet<string>): Promise<Array<[string, number]>> {
  let names: string[];
  try {
    names = await readdir(fdDir);
  } catch {
    // The process exited, or we may not look at it (EACCES): it owns nothing we can prove.
    return [];
  }
  const fds = names.filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
  const links = await Promise.all(fds.map((fd) => readlink(`${fdDir}/${fd}`).catch(() => null)));
  const hits: Array<[string, number]> = [];
  links.forEach((link, i) => {
    const inode = link === null ? undefined : SOCKET_LINK.exec(link)?.[1];
    if (inode !== undefined && pending.has(inode)) hits.push([inode, fds[i] as number]);
  });
  return hits;
}

/**
 * Finds which process holds each wanted socket inode by reading the
 * `socket:[inode]` links in /proc/[pid]/fd. Processes are scanned in pid order
 * and the scan stops as soon as every wanted inode is found, so a socket
 * shared by several processes (e.g. a listener inherited by pre-forked
 * children) is attributed to the lowest pid, usually the parent that opened
 * it. Inode "0" (no descriptor, e.g. TIME_WAIT) is never looked up.
 * Never throws: vanished processes and EACCES/ENOENT are skipped.
 */
export async function mapSocketInodes(
  wanted: Iterable<string>,
  options: MapSocketInodesOptions = {},
): Promise<Map<string, SocketOwner>> {
  const procRoot = options.procRoot ?? "/proc";
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const pending = new Set(wanted);
  pending.delete("0");
  const found = new Map<string, SocketOwner>();
  if (pending.size === 0) return found;
  let pids: number[];
  try {
    pids = (await readdir(procRoot))
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return found;
  }
  for (let start = 0; start < pids.length && pending.size > 0; start += concurrency) {
    const batch = pids.slice(start, start + concurrency);
    const results = await Promise.all(batch.map((pid) => readSocketFds(`${procRoot}/${pid}/fd`, pending)));
    // Results are applied in pid order so the lowest pid wins even though the batch ran in parallel.
    results.forEach((hits, i) => {
      for (const [inode, fd] of hits) {
        if (!pending.has(inode)) continue;
        pending.delete(inode);
        found.set(inode, { pid: batch[i] as number, fd });
      }
    });
  }
  return found;
}

/** True when /proc/PID/fd/FD still refers to the socket inode: one readlink that proves the owner is alive and unchanged. */
export async function isSocketOwner(owner: SocketOwner, inode: string, procRoot = "/proc"): Promise<boolean> {
  try {
    return (await readlink(`${procRoot}/${owner.pid}/fd/${owner.fd}`)) === `socket:[${inode}]`;
  } catch {
    return false;
  }
}
