import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { waitFor } from "../wait-for.js";

/** Where the MTA config templates live (files, so a developer can read and reuse them). */
export const TEMPLATE_DIR = fileURLToPath(new URL("../../../deploy/dev/mta/", import.meta.url));

/** Root of the labs' default working folders: under /var so Postfix's maillog_file_prefixes and non-root users can reach it. */
export const LAB_ROOT = "/var/lib/spamtrace-test";

/** Result of a finished command. */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Options for {@link run}. */
export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

/**
 * Runs a command with a bounded time (every lab step must end) and returns its
 * output; throws with the command line and stderr unless allowFailure is set.
 */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(" ")}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result = { stdout, stderr, code: code ?? (signal ? 128 : 1) };
      if (timedOut) reject(new Error(`${cmd} ${args.join(" ")} timed out after ${timeoutMs} ms; stderr: ${stderr.slice(-1000)}`));
      else if (result.code !== 0 && !opts.allowFailure) {
        reject(new Error(`${cmd} ${args.join(" ")} exited ${result.code}: ${(stderr || stdout).slice(-2000)}`));
      } else resolve(result);
    });
    child.stdin.on("error", () => undefined); // the command may exit before reading its input
    child.stdin.end(opts.input ?? "");
  });
}

/** Fills `@@NAME@@` placeholders of a template in deploy/dev/mta; throws on any placeholder left without a value. */
export async function renderTemplate(name: string, values: Record<string, string | number>): Promise<string> {
  const text = await readFile(`${TEMPLATE_DIR}${name}`, "utf8");
  return text.replace(/@@([A-Z_]+)@@/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${name}: no value for @@${key}@@`);
    return String(value);
  });
}

/** Throws unless running as root: the labs install packages, create users and start setuid/root daemons. */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${what} needs root (it installs Debian packages and starts mail daemons)`);
}

/** Numeric uid/gid of a system user, or undefined when it does not exist. */
export async function lookupUser(name: string): Promise<{ uid: number; gid: number; home: string } | undefined> {
  const r = await run("getent", ["passwd", name], { allowFailure: true });
  if (r.code !== 0) return undefined;
  const f = r.stdout.trim().split(":");
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? "" };
}

/**
 * Creates a login user with a home and public_html (a hosting customer whose
 * PHP scripts call sendmail). Tolerates a concurrent creation by another test.
 */
export async function ensureWebUser(name: string): Promise<{ uid: number; gid: number; home: string }> {
  let user = await lookupUser(name);
  if (!user) {
    const r = await run("useradd", ["--create-home", "--home-dir", `/home/${name}`, "--shell", "/bin/bash", name], { allowFailure: true });
    user = await lookupUser(name);
    if (!user) throw new Error(`could not create user ${name}: ${r.stderr}`);
  }
  await mkdir(`${user.home}/public_html`, { recursive: true });
  await run("chown", ["-R", `${user.uid}:${user.gid}`, user.home]);
  await run("chmod", ["755", user.home, `${user.home}/public_html`]);
  return user;
}

/** Creates a system user + group without home or login (Debian-exim on a machine that never had exim4-base). */
export async function ensureSystemUser(name: string, home: string): Promise<{ uid: number; gid: number }> {
  let user = await lookupUser(name);
  if (!user) {
    const r = await run("useradd", ["--system", "--user-group", "--badname", "--no-create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin", name], { allowFailure: true });
    user = await lookupUser(name);
    if (!user) throw new Error(`could not create system user ${name}: ${r.stderr}`);
  }
  return user;
}

/** True while a process with this pid exists (zombies excluded: they no longer hold sockets or files). */
export function pidAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** Reads a pid file, or undefined when it is missing or garbage. */
export async function readPidFile(path: string): Promise<number | undefined> {
  if (!existsSync(path)) return undefined;
  const pid = Number((await readFile(path, "utf8")).trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Sends SIGTERM, waits a bounded time, then SIGKILL: a lab's stop must not hang or leave daemons behind. */
export async function killAndWait(pid: number, timeoutMs = 10_000): Promise<void> {
  if (!pidAlive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  try {
    await waitFor(`pid ${pid} to exit`, async () => (pidAlive(pid) ? undefined : true), timeoutMs, 100);
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    await waitFor(`pid ${pid} to exit after SIGKILL`, async () => (pidAlive(pid) ? undefined : true), 5_000, 100);
  }
}

/** Pids of processes whose command line contains `needle` (used to find a lab's own daemons by its unique path). */
export async function pidsWithArg(needle: string): Promise<number[]> {
  const r = await run("pgrep", ["-f", "--", needle], { allowFailure: true });
  return r.stdout.split("\n").map(Number).filter((n) => Number.isInteger(n) && n > 0 && n !== process.pid);
}

/** Waits until a text file contains something matching `pattern`; returns the first matching line. */
export async function waitForLine(path: string, pattern: RegExp | string, timeoutMs = 15_000): Promise<string> {
  return waitFor(
    `${String(pattern)} in ${path}`,
    async () => {
      if (!existsSync(path)) return undefined;
      const text = await readFile(path, "utf8");
      return text.split("\n").find((line) => (typeof pattern === "string" ? line.includes(pattern) : pattern.test(line)));
    },
    timeoutMs,
    100,
  );
}

/** Size of a file, 0 when missing (to read only what was logged after a point). */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Pids of all live descendants of a process (Postfix/Dovecot children), read from /proc so it needs no tools. */
export function descendants(rootPid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The comm field may hold spaces and parentheses: parse after the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const found: number[] = [];
  const frontier = [rootPid];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent && !found.includes(pid)) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

/** Stops a daemon and every process it started: SIGTERM the leader, then make sure each child is gone too. */
export async function stopProcessTree(pid: number, timeoutMs = 10_000): Promise<void> {
  const children = descendants(pid);
  await killAndWait(pid, timeoutMs);
  for (const child of children) await killAndWait(child, 5_000);
}
