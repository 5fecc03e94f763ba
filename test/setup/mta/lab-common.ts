import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { registerServerDir } from "../test-run.js";
import { waitFor } from "../wait-for.js";

/** Where the MTA config templates live (files, so a developer can read and reuse them). */
export const TEMPLATE_DIR = fileURLToPath(new URL("../../../deploy/dev/mta/", import.meta.url));

/** Root of the labs' default working folders: under /var so Postfix's maillog_file_prefixes and non-root users can reach it. */
export const LAB_ROOT = "/var/lib/spamtrace-test";

/** Prints a timestamped step when SPAMTRACE_LAB_TRACE is set: to see where a slow lab start spends its time. */
export function traceStep(what: string): void {
  if (process.env.SPAMTRACE_LAB_TRACE) process.stderr.write(`[mta-lab ${new Date().toISOString().slice(11, 23)}] ${what}\n`);
}

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
  /**
   * Send stdout/stderr to this file instead of pipes: for commands that start
   * a daemon, which would otherwise inherit our pipes (and die of SIGPIPE, or
   * keep them open) after we stop reading.
   */
  outputFile?: string;
}

/**
 * Runs a command with a bounded time (every lab step must end) and returns its
 * output; throws with the command line and stderr unless allowFailure is set.
 */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const commandLine = `${cmd} ${args.join(" ")}`;
  traceStep(`run ${commandLine}`);
  return new Promise((resolve, reject) => {
    const out = opts.outputFile === undefined ? undefined : openSync(opts.outputFile, "a");
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", out ?? "pipe", out ?? "pipe"] });
    if (out !== undefined) closeSync(out);
    let stdout = "";
    let stderr = "";
    let settled = false;
    const settle = (error: Error | undefined, code: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A daemon that forks may keep our pipes open forever: stop listening.
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (opts.outputFile !== undefined) stderr = readFileSync(opts.outputFile, "utf8").slice(-4000);
      if (error) reject(error);
      else if (code !== 0 && !opts.allowFailure) reject(new Error(`${commandLine} exited ${code}: ${(stderr || stdout).slice(-2000)}`));
      else resolve({ stdout, stderr, code });
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      settle(new Error(`${commandLine} timed out after ${timeoutMs} ms; output: ${(stderr || stdout).slice(-1000)}`), 128);
    }, timeoutMs);
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (error) => settle(new Error(`${commandLine}: ${error.message}`), 127));
    const exitCode = (code: number | null, signal: NodeJS.Signals | null): number => code ?? (signal ? 128 : 1);
    child.on("close", (code, signal) => settle(undefined, exitCode(code, signal)));
    // "exit" comes before "close"; give the pipes a moment to drain, then settle
    // even if a forked daemon still holds them. The timer may fire before the
    // loop has polled the pipes at all when it was busy (a blast in the same
    // process): setImmediate lets one poll phase read what they hold first
    // (`getent` output lost that way gave a NaN uid).
    child.on("exit", (code, signal) => setTimeout(() => setImmediate(() => settle(undefined, exitCode(code, signal))), 300).unref());
    child.stdin?.on("error", () => undefined); // the command may exit before reading its input
    child.stdin?.end(opts.input ?? "");
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
  // The web server (and the MTA's setuid binaries) must be able to reach the web root.
  await run("chown", [`${user.uid}:${user.gid}`, user.home, `${user.home}/public_html`]);
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

/** A process's short name (/proc/<pid>/comm), or "" once it has exited. */
export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
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

/** Pids of live processes with `arg` as one of their arguments (a lab's own binary path); reads /proc, so procps need not be installed. */
export async function pidsWithArg(arg: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (args.includes(arg) && pidAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
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

/**
 * Prepares a lab's working folder. Each test process gets its own folder
 * (`<LAB_ROOT>/<kind>-<pid>`) so labs of concurrent runs never meet; folders
 * whose owning process has died are stopped with `stopLab` and deleted here,
 * so a crashed run cleans up after itself on the next start. A folder is only
 * ever wiped if it carries this kind's marker file.
 */
export async function prepareLabDir(kind: string, labDir: string, stopLab: (dir: string) => Promise<void>): Promise<void> {
  const marker = `.spamtrace-${kind}`;
  await mkdir(LAB_ROOT, { recursive: true });
  for (const entry of await readdir(LAB_ROOT)) {
    const dir = `${LAB_ROOT}/${entry}`;
    if (dir === labDir || !entry.startsWith(`${kind}-`) || !existsSync(`${dir}/${marker}`)) continue;
    const owner = Number((await readFile(`${dir}/${marker}`, "utf8")).trim());
    if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) continue;
    await stopLab(dir);
    await rm(dir, { recursive: true, force: true });
  }
  if (existsSync(labDir)) {
    if (!existsSync(`${labDir}/${marker}`) && (await readdir(labDir)).length > 0) {
      throw new Error(`${labDir} exists and was not made by the ${kind}; refusing to wipe it`);
    }
    await stopLab(labDir);
    await rm(labDir, { recursive: true, force: true });
  }
  await mkdir(labDir, { recursive: true });
  await writeFile(`${labDir}/${marker}`, `${process.pid}\n`);
  registerServerDir(labDir);
}

/** A SASL account of a lab (Dovecot passwd-file for Postfix, lsearch file for Exim). */
export interface LabUser {
  name: string;
  password: string;
}

/** Default SASL accounts: known passwords so tests can log in right and wrong. */
export const DEFAULT_LAB_USERS: readonly LabUser[] = [
  { name: "alice", password: "alice-pass" },
  { name: "bob", password: "bob-pass" },
];

/** Waits until an SMTP server answers with a 220 greeting. */
export async function waitForBanner(host: string, port: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    `SMTP banner on ${host}:${port}`,
    () =>
      new Promise<true | undefined>((resolve) => {
        const socket = net.connect({ host, port });
        let data = "";
        const done = (ok: boolean): void => {
          socket.destroy();
          resolve(ok ? true : undefined);
        };
        socket.setTimeout(3_000, () => done(false));
        socket.on("error", () => done(false));
        socket.on("data", (d) => {
          data += d.toString();
          if (data.includes("\n")) {
            socket.write("QUIT\r\n");
            done(data.startsWith("220"));
          }
        });
      }),
    timeoutMs,
    150,
  );
}
