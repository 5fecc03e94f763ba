import { readFileSync, readlinkSync } from "node:fs";
import { PasswdCache } from "./read-passwd.js";

/** What /proc tells about one process: the process half of a SocketRecord, plus its start time. */
export interface ProcessInfo {
  /** Process id. */
  pid: number;
  /** Parent process id (/proc/PID/status PPid), or null. */
  ppid: number | null;
  /** Real uid (/proc/PID/status Uid, first value), or null. */
  uid: number | null;
  /** User name for uid from /etc/passwd, or null. */
  user: string | null;
  /** Short name (/proc/PID/comm), or null. */
  comm: string | null;
  /** Arguments (/proc/PID/cmdline split on NUL); empty when unreadable (kernel threads, zombies, no permission). */
  argv: string[];
  /** Executable path (/proc/PID/exe) without the " (deleted)" suffix, or null. */
  exe: string | null;
  /** True when /proc/PID/exe ended in " (deleted)". */
  exe_deleted: boolean;
  /** Working directory (/proc/PID/cwd) as the kernel prints it, or null. */
  cwd: string | null;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat); with pid it identifies a process across pid reuse. */
  start_time_ticks: number | null;
}

/** Options for readProcessInfo. */
export interface ReadProcessInfoOptions {
  /** Root of the proc filesystem; default "/proc". */
  procRoot?: string;
  /** User name cache; default a shared cache of /etc/passwd. */
  passwd?: PasswdCache;
}

const DELETED_SUFFIX = " (deleted)";
let sharedPasswd: PasswdCache | undefined;

/** Parent pid and real uid from the text of /proc/PID/status; null for a missing or malformed field. */
export function parseProcStatus(text: string): { ppid: number | null; uid: number | null } {
  const ppid = /^PPid:\s*(\d+)\s*$/m.exec(text)?.[1];
  const uid = /^Uid:\s*(\d+)/m.exec(text)?.[1];
  return { ppid: ppid === undefined ? null : Number(ppid), uid: uid === undefined ? null : Number(uid) };
}

/** Field 22 (starttime, clock ticks since boot) of /proc/PID/stat text, or null when malformed. */
export function parseProcStatStartTime(text: string): number | null {
  // comm (field 2) is in parentheses and may itself contain spaces and ")", so count fields after the last ")".
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const value = text.slice(close + 1).trim().split(/\s+/)[22 - 3];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * Arguments from the raw text of /proc/PID/cmdline. Trailing empty strings
 * are dropped: one comes from the final NUL, more from programs that rewrite
 * their title (nginx, php-fpm, postfix) and pad the old argv area with NULs.
 */
export function splitCmdline(raw: string): string[] {
  const argv = raw.split("\0");
  while (argv.length > 0 && argv[argv.length - 1] === "") argv.pop();
  return argv;
}

/** Splits the " (deleted)" suffix the kernel appends to a link whose target was unlinked. */
export function splitDeletedSuffix(link: string): { path: string; deleted: boolean } {
  return link.endsWith(DELETED_SUFFIX)
    ? { path: link.slice(0, -DELETED_SUFFIX.length), deleted: true }
    : { path: link, deleted: false };
}

// Synchronous on purpose: a short session's process may exit within milliseconds of its socket being
// found, and six thread-pool round trips (status, stat, comm, cmdline, exe, cwd) lost its exe and cwd
// for about one 0.1 s session in five under load (bench:capture). readFileSync reads /proc files to
// their end on Node 18 too (only fs.promises.readFile stopped after the first short read).
async function readText(path: string): Promise<string | null> {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

async function readLink(path: string): Promise<string | null> {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/** Start time of a process (see ProcessInfo.start_time_ticks), or null when it has exited. One small read. */
export async function readProcessStartTime(pid: number, procRoot = "/proc"): Promise<number | null> {
  const stat = await readText(`${procRoot}/${pid}/stat`);
  return stat === null ? null : parseProcStatStartTime(stat);
}

/** Reads everything /proc knows about pid; a field that cannot be read (process gone, EACCES) becomes null. Never throws. */
export async function readProcessInfo(pid: number, options: ReadProcessInfoOptions = {}): Promise<ProcessInfo> {
  const dir = `${options.procRoot ?? "/proc"}/${pid}`;
  const passwd = options.passwd ?? (sharedPasswd ??= new PasswdCache());
  const [status, stat, comm, cmdline, exeLink, cwd] = await Promise.all([
    readText(`${dir}/status`),
    readText(`${dir}/stat`),
    readText(`${dir}/comm`),
    readText(`${dir}/cmdline`),
    readLink(`${dir}/exe`),
    readLink(`${dir}/cwd`),
  ]);
  const { ppid, uid } = status === null ? { ppid: null, uid: null } : parseProcStatus(status);
  const exe = exeLink === null ? null : splitDeletedSuffix(exeLink);
  return {
    pid,
    ppid,
    uid,
    user: await passwd.userName(uid),
    comm: comm === null ? null : comm.replace(/\n$/, ""),
    argv: cmdline === null ? [] : splitCmdline(cmdline),
    exe: exe?.path ?? null,
    exe_deleted: exe?.deleted ?? false,
    cwd,
    start_time_ticks: stat === null ? null : parseProcStatStartTime(stat),
  };
}
