import { createSocket } from "node:dgram";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from "node:fs";
import { readdir, readlink } from "node:fs/promises";
import { parseProcStatus } from "./read-process-info.js";

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
  /**
   * The order to scan the listed pids in (default ascending); the first
   * process found holding an inode is its owner. The sampler puts likely
   * owners first (see ProcSocketSampler) so that a scan stops early.
   */
  order?: (pids: number[]) => number[];
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

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

function readSocketFdsFromLinks(fdDir: string, names: readonly string[], pending: ReadonlySet<string>): Array<[string, number]> {
  const hits: Array<[string, number]> = [];
  for (const fd of fdNumbers(names)) {
    let link: string;
    try {
      link = readlinkSync(`${fdDir}/${fd}`);
    } catch {
      continue;
    }
    const inode = SOCKET_LINK.exec(link)?.[1];
    if (inode !== undefined && pending.has(inode)) hits.push([inode, fd]);
  }
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
function readSocketFdsFromFdinfo(fdinfoDir: string, pending: ReadonlySet<string>, sockfsMount: string): Array<[string, number]> {
  let names: string[];
  try {
    names = readdirSync(fdinfoDir);
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

/**
 * The watched sockets among pid's fds. Synchronous, like readFdIdentitySync and for the same reason:
 * a promise per readlink made an owner search of a young process cost more than the socket table read.
 * sockfsMount is the sockfs mount id (null: unknown, fdinfo cannot be used).
 */
function readSocketFds(procRoot: string, pid: number, pending: ReadonlySet<string>, sockfsMount: string | null): Array<[string, number]> {
  const fdDir = `${procRoot}/${pid}/fd`;
  let names: string[];
  try {
    names = readdirSync(fdDir);
  } catch {
    // Another user's process without CAP_DAC_READ_SEARCH (EACCES), or one that exited: try fdinfo, which
    // fails the same way for a process that is gone or that we may not look at.
    return sockfsMount === null ? [] : readSocketFdsFromFdinfo(`${procRoot}/${pid}/fdinfo`, pending, sockfsMount);
  }
  return readSocketFdsFromLinks(fdDir, names, pending);
}

/** Processes scanned between two yields to the event loop (a full scan of 2,000 processes is ~100 ms). */
const PIDS_PER_SLICE = 64;

/**
 * Finds which process holds each wanted socket inode by reading the
 * `socket:[inode]` links in /proc/[pid]/fd (or, where that folder may not be
 * listed, the `ino:` lines of /proc/[pid]/fdinfo). Processes are scanned in
 * pid order and the scan stops as soon as every wanted inode is found, so a
 * socket shared by several processes (a listener inherited by pre-forked
 * children, a connection inherited by a script's child) is attributed to the
 * holder found first, then to its parents as long as they hold it too: the
 * process that opened it (options.order may scan likelier owners first).
 * Inode "0" (no descriptor, e.g. TIME_WAIT) is never looked up.
 * Never throws: vanished processes and EACCES/ENOENT are skipped.
 */
export async function mapSocketInodes(
  wanted: Iterable<string>,
  options: MapSocketInodesOptions = {},
): Promise<Map<string, SocketOwner>> {
  const procRoot = options.procRoot ?? "/proc";
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
  if (options.order !== undefined) pids = options.order(pids);
  const sockfsMount = await sockfsMountId(procRoot);
  for (const [i, pid] of pids.entries()) {
    if (pending.size === 0) break;
    if (i > 0 && i % PIDS_PER_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    for (const [inode, fd] of readSocketFds(procRoot, pid, pending, sockfsMount)) {
      if (!pending.has(inode)) continue;
      pending.delete(inode);
      found.set(inode, openerOf(procRoot, inode, { pid, fd }, sockfsMount));
    }
  }
  return found;
}

/** Parents climbed at most from a found holder to the process that opened the socket. */
const MAX_OPENER_DEPTH = 8;

/**
 * A socket is held by every process that inherited it: a shell script's
 * `exec 3<>/dev/tcp/...` followed by `sleep 1` has the sleep hold the
 * connection too, and a scan that looks at the newest processes first finds
 * the child. The parent chain is climbed while the parent holds the same
 * socket, so the owner is the process that opened it (whatever the scan order).
 */
function openerOf(procRoot: string, inode: string, owner: SocketOwner, sockfsMount: string | null): SocketOwner {
  let current = owner;
  const wanted = new Set([inode]);
  for (let depth = 0; depth < MAX_OPENER_DEPTH; depth++) {
    const ppid = readParentPid(procRoot, current.pid);
    if (ppid === null || ppid <= 1) break;
    const hit = readSocketFds(procRoot, ppid, wanted, sockfsMount)[0];
    if (hit === undefined) break;
    current = { pid: ppid, fd: hit[1] };
  }
  return current;
}

/** The parent pid from /proc/PID/status (parseProcStatus), or null when the process is gone. */
function readParentPid(procRoot: string, pid: number): number | null {
  try {
    return parseProcStatus(readFileSync(`${procRoot}/${pid}/status`, "latin1")).ppid;
  } catch {
    return null;
  }
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
