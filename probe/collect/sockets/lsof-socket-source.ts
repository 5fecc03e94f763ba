import type { SocketRecord } from "../../../shared/types/socket-record.js";
import { socketDirection } from "./filter-smtp-sockets.js";
import { parseLsofFields } from "./parse-lsof-fields.js";
import { parseLsofSocketName } from "./parse-lsof-socket-name.js";
import { parsePsArgs } from "./parse-ps-args.js";
import { splitDeletedSuffix } from "./read-process-info.js";
import { runCommand, type CommandOutput } from "../run-command.js";
import { sortSocketRecords } from "./sort-socket-records.js";
import { normalizeTcpStateName } from "./tcp-state-name.js";

/** Options for readSocketsFromLsof. */
export interface LsofSocketSourceOptions {
  /** TCP ports watched (local or remote), e.g. DEFAULT_SMTP_PORTS. */
  ports: readonly number[];
  /** lsof program; default "lsof" from PATH. */
  lsofPath?: string;
  /** ps program used for argv; default "ps" from PATH. */
  psPath?: string;
  /** Timeout for each command, in ms; default 10000. */
  timeoutMs?: number;
}

/** A socket from the first lsof run, with the process fields lsof gives there. */
export type LsofSocket = Omit<SocketRecord, "argv" | "exe" | "exe_deleted" | "cwd"> & { pid: number };

/** Executable and working directory of a process from `lsof -d cwd,txt`. */
export interface LsofProcessPaths {
  /** txt path without " (deleted)", or null. */
  exe: string | null;
  /** True when lsof marked the txt path " (deleted)". */
  exe_deleted: boolean;
  /** cwd path, or null. */
  cwd: string | null;
}

/** lsof field letters for the socket query: pid, command, ppid, uid, login, fd, type, device (the socket inode on Linux), inode, name, TCP info, protocol. */
export const LSOF_SOCKET_FIELDS = "pcRuLftdinTP";

// lsof prints this instead of a path when it could not resolve one, e.g. "/proc/7/cwd (readlink: Permission denied)".
const LSOF_PATH_ERROR = /\s\((?:readlink|stat|lstat|opendir|open): [^)]*\)$/;

/**
 * LSOF_PATH_ERROR.test(name), in linear time: a match holds no ")" but the
 * last character, so only the text after the one before is searched; on the
 * whole name, every "(stat: " rescanned the rest (quadratic).
 */
function isLsofPathError(name: string): boolean {
  return name.endsWith(")") && LSOF_PATH_ERROR.test(name.slice(name.lastIndexOf(")", name.length - 2) + 1));
}

/** Arguments of the lsof run that lists TCP sockets on the ports; +c 0 asks for the full command name (default is 9 chars). */
export function lsofSocketArgs(ports: readonly number[]): string[] {
  return ["-n", "-P", "-w", "+c", "0", "-F", LSOF_SOCKET_FIELDS, "-i", `tcp:${ports.join(",")}`];
}

/** Arguments of the lsof run that gives cwd and txt (executable) of the pids. */
export function lsofPathArgs(pids: readonly number[]): string[] {
  return ["-n", "-P", "-w", "-F", "pfn", "-a", "-p", pids.join(","), "-d", "cwd,txt"];
}

function toInt(value: string | undefined): number | null {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * Watched TCP sockets from `lsof -F` output (see lsofSocketArgs), one per
 * inode. lsof lists a socket once per process and descriptor holding it;
 * like the /proc source, the lowest pid is kept. Linux lsof puts the socket
 * inode in the DEVICE field (`d`); where that is not decimal, `i` is used,
 * then `d` as printed.
 */
export function parseLsofSockets(output: string, ports: ReadonlySet<number>): LsofSocket[] {
  const byInode = new Map<string, LsofSocket>();
  for (const process of parseLsofFields(output).processes) {
    const { c: comm, R: ppid, u: uid, L: login } = process.fields;
    for (const file of process.files) {
      const family = file.fields.t;
      const name = file.fields.n;
      if ((family !== "IPv4" && family !== "IPv6") || file.fields.P !== "TCP" || name === undefined) continue;
      const endpoints = parseLsofSocketName(name, family);
      if (endpoints === null) continue;
      const state = normalizeTcpStateName(file.tcp.ST ?? "UNKNOWN");
      const direction = socketDirection({ state, ...endpoints }, ports);
      if (direction === null) continue;
      const device = file.fields.d ?? "";
      const inode = /^\d+$/.test(device) ? device : (toInt(file.fields.i)?.toString() ?? device);
      const previous = byInode.get(inode);
      if (previous !== undefined && previous.pid <= process.pid) continue;
      const uidNumber = toInt(uid);
      byInode.set(inode, {
        proto: family === "IPv6" ? "tcp6" : "tcp",
        state,
        direction,
        ...endpoints,
        inode,
        pid: process.pid,
        ppid: toInt(ppid),
        uid: uidNumber,
        // lsof prints L only when getpwuid() knows the uid.
        user: login !== undefined && login !== uid ? login : null,
        comm: comm ?? null,
      });
    }
  }
  return [...byInode.values()];
}

/** Pid → cwd and executable from `lsof -F pfn -d cwd,txt` output (see lsofPathArgs). */
export function parseLsofProcessPaths(output: string): Map<number, LsofProcessPaths> {
  const paths = new Map<number, LsofProcessPaths>();
  for (const process of parseLsofFields(output).processes) {
    const entry = paths.get(process.pid) ?? { exe: null, exe_deleted: false, cwd: null };
    for (const file of process.files) {
      const name = file.fields.n;
      if (name === undefined || isLsofPathError(name)) continue;
      if (file.fd === "cwd" && entry.cwd === null) entry.cwd = name;
      if (file.fd === "txt" && entry.exe === null) {
        const exe = splitDeletedSuffix(name);
        entry.exe = exe.path;
        entry.exe_deleted = exe.deleted;
      }
    }
    paths.set(process.pid, entry);
  }
  return paths;
}

/** Joins the three command outputs into SocketRecords, sorted like the /proc source. */
export function buildLsofSocketRecords(
  sockets: readonly LsofSocket[],
  paths: ReadonlyMap<number, LsofProcessPaths>,
  argvByPid: ReadonlyMap<number, readonly string[]>,
): SocketRecord[] {
  return sortSocketRecords(
    sockets.map((socket) => {
      const processPaths = paths.get(socket.pid);
      return {
        ...socket,
        argv: [...(argvByPid.get(socket.pid) ?? [])],
        exe: processPaths?.exe ?? null,
        exe_deleted: processPaths?.exe_deleted ?? false,
        cwd: processPaths?.cwd ?? null,
      };
    }),
  );
}

function describe(file: string, args: readonly string[], result: CommandOutput): string {
  const how = result.timedOut ? "a timeout" : result.code === null ? `signal ${result.signal ?? "?"}` : `exit status ${result.code}`;
  const stderr = result.stderr.trim().split("\n")[0] ?? "";
  return `${file} ${args.join(" ")} failed with ${how}${stderr === "" ? "" : `: ${stderr}`}`;
}

/**
 * lsof exits 1 both when nothing matched (or a listed pid has exited) and on
 * usage errors; only the latter writes to stderr with -w, and prints nothing
 * to stdout.
 */
function lsofOutput(file: string, args: readonly string[], result: CommandOutput): string {
  const failed =
    result.code === null ||
    (result.code !== 0 && result.code !== 1) ||
    (result.code === 1 && result.stdout === "" && result.stderr.trim() !== "");
  if (failed) throw new Error(describe(file, args, result));
  return result.stdout;
}

/**
 * Snapshot of the watched sockets by running lsof — the fallback where /proc
 * cannot be parsed. Three commands: lsof for the sockets, then, for their
 * pids only, lsof for cwd/txt and `ps -ww -o pid=,args=` for argv (lsof
 * cannot show argv; ps is used rather than /proc/PID/cmdline because this
 * source exists for systems where /proc is not usable — its split on spaces
 * is lossy, see parsePsArgs). Processes that exit between the commands keep
 * null paths and empty argv. Rejects when lsof is missing or fails.
 */
export async function readSocketsFromLsof(opts: LsofSocketSourceOptions): Promise<SocketRecord[]> {
  const lsof = opts.lsofPath ?? "lsof";
  const ps = opts.psPath ?? "ps";
  const run = { timeoutMs: opts.timeoutMs ?? 10_000, env: { LC_ALL: "C.UTF-8" } };
  // lsof would reject an empty "tcp:" selector.
  if (opts.ports.length === 0) return [];
  const socketArgs = lsofSocketArgs(opts.ports);
  const sockets = parseLsofSockets(
    lsofOutput(lsof, socketArgs, await runCommand(lsof, socketArgs, run)),
    new Set(opts.ports),
  );
  const pids = [...new Set(sockets.map((socket) => socket.pid))].sort((a, b) => a - b);
  if (pids.length === 0) return buildLsofSocketRecords(sockets, new Map(), new Map());
  const pathArgs = lsofPathArgs(pids);
  const psArgs = ["-ww", "-o", "pid=,args=", "-p", pids.join(",")];
  const [pathResult, psResult] = await Promise.all([
    runCommand(lsof, pathArgs, run),
    // ps missing or failing only costs argv.
    runCommand(ps, psArgs, run).catch(() => null),
  ]);
  const paths = parseLsofProcessPaths(lsofOutput(lsof, pathArgs, pathResult));
  const argvByPid = psResult === null ? new Map<number, string[]>() : parsePsArgs(psResult.stdout);
  return buildLsofSocketRecords(sockets, paths, argvByPid);
}
