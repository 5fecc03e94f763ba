import { readdir, readlink } from "node:fs/promises";
import { readProcText } from "../read-proc-text.js";

/** The few /proc facts MTA detection needs about one process. */
export interface ProcessSummary {
  /** Process id. */
  pid: number;
  /** /proc/PID/comm without its newline; "" when unreadable. */
  comm: string;
  /** /proc/PID/exe target without " (deleted)"; null when unreadable (kernel thread, no permission). */
  exe: string | null;
  /** /proc/PID/cmdline split on NUL, trailing empties dropped. */
  argv: string[];
}

const CONCURRENCY = 32;
const DELETED_SUFFIX = " (deleted)";

async function readOrNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch {
    return null;
  }
}

async function summarize(procRoot: string, pid: number): Promise<ProcessSummary> {
  const dir = `${procRoot}/${pid}`;
  const [comm, exe, cmdline] = await Promise.all([
    readOrNull(() => readProcText(`${dir}/comm`)),
    readOrNull(() => readlink(`${dir}/exe`)),
    readOrNull(() => readProcText(`${dir}/cmdline`)),
  ]);
  const argv = (cmdline ?? "").split("\0");
  while (argv.length > 0 && argv[argv.length - 1] === "") argv.pop();
  return {
    pid,
    comm: (comm ?? "").replace(/\n$/, ""),
    exe: exe === null ? null : exe.endsWith(DELETED_SUFFIX) ? exe.slice(0, -DELETED_SUFFIX.length) : exe,
    argv,
  };
}

/** Every process visible under procRoot, in pid order; processes that vanish mid-scan keep null/empty fields. Never throws. */
export async function listProcesses(procRoot = "/proc"): Promise<ProcessSummary[]> {
  let pids: number[];
  try {
    pids = (await readdir(procRoot))
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
  const out: ProcessSummary[] = [];
  for (let start = 0; start < pids.length; start += CONCURRENCY) {
    out.push(...(await Promise.all(pids.slice(start, start + CONCURRENCY).map((pid) => summarize(procRoot, pid)))));
  }
  return out;
}
