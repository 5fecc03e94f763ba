import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A process to create in a fake /proc tree; omitted files are absent, as for a process that is exiting. */
export interface FakeProcess {
  /** Process id (directory name). */
  pid: number;
  /** fd number → link target, e.g. { 3: "socket:[123]", 0: "/dev/null" }. */
  fds?: Record<number, string>;
  /** fd number → text of /proc/PID/fdinfo/FD (written only when given). */
  fdinfo?: Record<number, string>;
  /** false: no /proc/PID/fd folder, as for a reader that may not list it (fdinfo only). */
  fdDir?: boolean;
  /** Text of /proc/PID/status. */
  status?: string;
  /** Text of /proc/PID/stat. */
  stat?: string;
  /** Text of /proc/PID/comm (with its newline). */
  comm?: string;
  /** Raw /proc/PID/cmdline (NUL separated). */
  cmdline?: string;
  /** Target of /proc/PID/exe. */
  exe?: string;
  /** Target of /proc/PID/cwd. */
  cwd?: string;
}

/** Text of a /proc/PID/status with the lines the probe reads. */
export function fakeStatus(name: string, ppid: number, uid: number): string {
  return `Name:\t${name}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nNgid:\t0\nPid:\t1\nPPid:\t${ppid}\nTracerPid:\t0\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t${uid}\t${uid}\t${uid}\t${uid}\n`;
}

/** Text of a /proc/PID/stat with the given comm, ppid and start time (field 22). */
export function fakeStat(pid: number, comm: string, ppid: number, startTimeTicks: number): string {
  return `${pid} (${comm}) S ${ppid} ${ppid} 2366 0 -1 4194304 205 0 0 0 0 0 0 0 20 0 1 0 ${startTimeTicks} 4464640 782 18446744073709551615 0 0 0 0 0 0 65536 4 1132560123 1 0 0 17 0 0 0 0 0 0\n`;
}

/** Text of a /proc/PID/fdinfo/FD for a file on mount mntId with inode ino. */
export function fakeFdinfo(mntId: number, ino: number): string {
  return `pos:\t0\nflags:\t02000002\nmnt_id:\t${mntId}\nino:\t${ino}\n`;
}

/** Writes one process directory under root. */
export async function writeFakeProcess(root: string, proc: FakeProcess): Promise<void> {
  const dir = join(root, String(proc.pid));
  await mkdir(dir, { recursive: true });
  if (proc.fdDir !== false) await mkdir(join(dir, "fd"));
  for (const [fd, target] of Object.entries(proc.fds ?? {})) await symlink(target, join(dir, "fd", fd));
  if (proc.fdinfo !== undefined) await mkdir(join(dir, "fdinfo"));
  for (const [fd, text] of Object.entries(proc.fdinfo ?? {})) await writeFile(join(dir, "fdinfo", fd), text);
  const files: Array<[string, string | undefined]> = [
    ["status", proc.status],
    ["stat", proc.stat],
    ["comm", proc.comm],
    ["cmdline", proc.cmdline],
  ];
  for (const [name, text] of files) if (text !== undefined) await writeFile(join(dir, name), text);
  if (proc.exe !== undefined) await symlink(proc.exe, join(dir, "exe"));
  if (proc.cwd !== undefined) await symlink(proc.cwd, join(dir, "cwd"));
}

/** A temporary directory shaped like /proc; remove() deletes it. */
export interface FakeProcTree {
  /** Path to pass as procRoot. */
  root: string;
  /** Writes /proc/net/tcp and, unless null, /proc/net/tcp6. */
  writeNet(tcp: string, tcp6: string | null): Promise<void>;
  /** Deletes the tree. */
  remove(): Promise<void>;
}

/** Creates a fake /proc tree with the given processes. */
export async function createFakeProcTree(processes: readonly FakeProcess[] = []): Promise<FakeProcTree> {
  const root = await mkdtemp(join(tmpdir(), "spamtrace-fake-proc-"));
  for (const proc of processes) await writeFakeProcess(root, proc);
  return {
    root,
    async writeNet(tcp, tcp6) {
      await mkdir(join(root, "net"), { recursive: true });
      await writeFile(join(root, "net", "tcp"), tcp);
      if (tcp6 === null) await rm(join(root, "net", "tcp6"), { force: true });
      else await writeFile(join(root, "net", "tcp6"), tcp6);
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
