import { createSocket } from "node:dgram";
import { closeSync, openSync, readSync } from "node:fs";
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

/** The mount id and inode of an open file, from /proc/PID/fdinfo/FD. */
interface FdIdentity {
  mntId: string;
  ino: string;
}

function parseFdinfo(text: string): FdIdentity | null {
  const mntId = /^mnt_id:\s*(\d+)$/m.exec(text)?.[1];
  const ino = /^ino:\s*(\d+)$/m.exec(text)?.[1];
  return mntId === undefined || ino === undefined ? null : { mntId, ino };
}

async function findOwnSocketMountId(procRoot: string): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(`${procRoot}/self/fd`);
  } catch {
    return null;
  }
  for (const name of names) {
    const link = await readlink(`${procRoot}/self/fd/${name}`).catch(() => "");
    if (!SOCKET_LINK.test(link)) continue;
    const identity = readFdIdentitySync(`${procRoot}/self/fdinfo/${name}`);
    if (identity !== null) return identity.mntId;
  }
  return null;
}

async function withOwnSocket<T>(run: () => Promise<T>): Promise<T> {
  // Any socket will do: all sockets live on the kernel's one sockfs mount. UDP on loopback sends nothing.
  const socket = createSocket("udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: "127.0.0.1", port: 0 }, () => resolve());
    });
    return await run();
  } finally {
    socket.close();
  }
}

const sockfsMountIds = new Map<string, Promise<string | null>>();

/**
 * The mount id of sockfs, read from the fdinfo of one of our own sockets (one
 * is opened for the purpose when the process has none). Mount ids differ per
 * boot, so this is looked up, not assumed; cached per proc root.
 */
export function sockfsMountId(procRoot = "/proc"): Promise<string | null> {
  let id = sockfsMountIds.get(procRoot);
  if (id === undefined) {
    id = findOwnSocketMountId(procRoot).then(
      (found) => found ?? withOwnSocket(() => findOwnSocketMountId(procRoot)).catch(() => null),
    );
    sockfsMountIds.set(procRoot, id);
  }
  return id;
}

function fdNumbers(names: readonly string[]): number[] {
  return names.filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
}

async function readSocketFdsFromLinks(fdDir: string, names: readonly string[], pending: ReadonlySet<string>): Promise<Array<[string, number]>> {
  const fds = fdNumbers(names);
  const links = await Promise.all(fds.map((fd) => readlink(`${fdDir}/${fd}`).catch(() => null)));
  const hits: Array<[string, number]> = [];
  links.forEach((link, i) => {
    const inode = link === null ? undefined : SOCKET_LINK.exec(link)?.[1];
    if (inode !== undefined && pending.has(inode)) hits.push([inode, fds[i] as number]);
  });
  return hits;
}

/**
 * The same answer from /proc/PID/fdinfo: its `ino:` and `mnt_id:` lines name
 * the inode and mount of each open file, and a socket is a file on sockfs.
 * The kernel lets a reader with ptrace access (CAP_SYS_PTRACE for another
 * user's process) list and read fdinfo, while listing /proc/PID/fd of another
 * user needs CAP_DAC_READ_SEARCH, which also opens every file on the host to
 * the probe. Reading fdinfo is how the probe runs without that capability
 * (Linux >= 5.14: docs/deploy-requirements.md).
 */
async function readSocketFdsFromFdinfo(
  fdinfoDir: string,
  pending: ReadonlySet<string>,
  sockfsMount: string,
): Promise<Array<[string, number]>> {
  let names: string[];
  try {
    names = await readdir(fdinfoDir);
  } catch {
    return [];
  }
  const hits: Array<[string, number]> = [];
  for (const fd of fdNumbers(names)) {
    const identity = readFdIdentitySync(`${fdinfoDir}/${fd}`);
    // The mount id tells sockets from files on disk that happen to have the same inode number.
    if (identity !== null && identity.mntId === sockfsMount && pending.has(identity.ino)) hits.push([identity.ino, fd]);
  }
  return hits;
}

const fdinfoBuffer = Buffer.alloc(4096);

/**
 * Synchronous on purpose: a full scan reads one fdinfo file per open fd on the host. Measured with
 * 1,100 processes and 46,000 fds: fs.promises.readFile 10 s (a thread-pool round trip per open, fstat,
 * read and close), open/read/close through a FileHandle 3.8 s, these three syscalls inline 0.8 s — while
 * one process's fds (tens) block the event loop for about a millisecond.
 */
function readFdIdentitySync(path: string): FdIdentity | null {
  let handle: number;
  try {
    handle = openSync(path, "r");
  } catch {
    return null;
  }
  try {
    // The lines the probe needs come first; epoll/inotify fds append more after them, which may be cut.
    const bytes = readSync(handle, fdinfoBuffer, 0, fdinfoBuffer.length, 0);
    return parseFdinfo(fdinfoBuffer.toString("latin1", 0, bytes));
  } catch {
    return null;
  } finally {
    closeSync(handle);
  }
}

async function readSocketFds(
  procRoot: string,
  pid: number,
  pending: ReadonlySet<string>,
): Promise<Array<[string, number]>> {
  const fdDir = `${procRoot}/${pid}/fd`;
  let names: string[];
  try {
    names = await readdir(fdDir);
  } catch {
    // Another user's process without CAP_DAC_READ_SEARCH (EACCES), or one that exited: try fdinfo, which
    // fails the same way for a process that is gone or that we may not look at.
    const sockfsMount = await sockfsMountId(procRoot);
    return sockfsMount === null ? [] : readSocketFdsFromFdinfo(`${procRoot}/${pid}/fdinfo`, pending, sockfsMount);
  }
  return readSocketFdsFromLinks(fdDir, names, pending);
}

/**
 * Finds which process holds each wanted socket inode by reading the
 * `socket:[inode]` links in /proc/[pid]/fd (or, where that folder may not be
 * listed, the `ino:` lines of /proc/[pid]/fdinfo). Processes are scanned in
 * pid order and the scan stops as soon as every wanted inode is found, so a
 * socket shared by several processes (e.g. a listener inherited by pre-forked
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
    pids = fdNumbers(await readdir(procRoot));
  } catch {
    return found;
  }
  for (let start = 0; start < pids.length && pending.size > 0; start += concurrency) {
    const batch = pids.slice(start, start + concurrency);
    const results = await Promise.all(batch.map((pid) => readSocketFds(procRoot, pid, pending)));
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

/**
 * True when /proc/PID/fd/FD still refers to the socket inode: one readlink that proves the owner is alive
 * and unchanged (or, where the link may not be read, its fdinfo names the same sockfs inode).
 */
export async function isSocketOwner(owner: SocketOwner, inode: string, procRoot = "/proc"): Promise<boolean> {
  try {
    return (await readlink(`${procRoot}/${owner.pid}/fd/${owner.fd}`)) === `socket:[${inode}]`;
  } catch {
    const sockfsMount = await sockfsMountId(procRoot);
    if (sockfsMount === null) return false;
    const identity = readFdIdentitySync(`${procRoot}/${owner.pid}/fdinfo/${owner.fd}`);
    return identity !== null && identity.mntId === sockfsMount && identity.ino === inode;
  }
}
