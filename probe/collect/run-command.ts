import { spawn, type ChildProcess } from "node:child_process";

/** What a finished command produced (the one shape for every program the probe runs: MTA commands, lsof, ps). */
export interface CommandOutput {
  /** Exit status, or null when the command was killed (timeout) or died by a signal. */
  code: number | null;
  /** Everything written to stdout, as UTF-8; empty when the caller asked for lines (onStdoutLine). */
  stdout: string;
  /** Everything written to stderr, as UTF-8 (capped at STDERR_MAX_BYTES). */
  stderr: string;
  /** True when the command was killed because it ran longer than timeoutMs. */
  timedOut?: boolean;
  /** The signal that ended it, when one did (SIGKILL after a timeout). */
  signal?: string;
}

/** Per-call options of a CommandRunner. */
export interface CommandRunOptions {
  /** Kill the command (SIGKILL) after this many ms. */
  timeoutMs: number;
  /**
   * Receive stdout line by line (without "\n") instead of buffered: queue
   * listings of a spam surge can be hundreds of MB, more than the probe may hold.
   */
  onStdoutLine?: (line: string) => void;
  /** Variables set on top of the probe's own environment (e.g. MAIL_CONFIG for a Postfix instance). */
  env?: Readonly<Record<string, string>>;
}

/**
 * Runs one program without a shell. Resolves whatever the exit status;
 * rejects only when the program cannot be started (ENOENT, EACCES) or its
 * buffered stdout exceeds STDOUT_MAX_BYTES. Tests pass a fake one.
 */
export type CommandRunner = (cmd: string, args: readonly string[], opts: CommandRunOptions) => Promise<CommandOutput>;

/** Largest buffered stdout accepted (64 MiB); stream with onStdoutLine for more. */
export const STDOUT_MAX_BYTES = 64 * 1024 * 1024;
/** stderr kept per command (64 KiB); MTAs print one-line diagnostics there. */
export const STDERR_MAX_BYTES = 64 * 1024;

/** Commands still running; killed when the probe exits, so that none outlives it (a postqueue waiting for a stopped Postfix). */
const running = new Set<ChildProcess>();
let exitHookSet = false;

/** Kills (SIGKILL) every command still running: the probe is stopping and wants none of their answers. */
export function killRunningCommands(): void {
  for (const c of running) c.kill("SIGKILL");
}

function track(child: ChildProcess): void {
  running.add(child);
  child.once("close", () => running.delete(child));
  child.once("error", () => running.delete(child));
  if (!exitHookSet) {
    exitHookSet = true;
    process.once("exit", killRunningCommands);
  }
}

/**
 * The real CommandRunner: spawn (no shell, stdin closed, LC_ALL=C so messages
 * are not translated), SIGKILL at the timeout.
 */
export const runCommand: CommandRunner = (cmd, args, opts) =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], {
      stdio: ["ignore", "pipe", "pipe"],
      // LC_ALL=C unless the caller says otherwise (lsof wants C.UTF-8 to print UTF-8 names unescaped).
      env: { ...process.env, LC_ALL: "C", ...opts.env },
      windowsHide: true,
    });
    track(child);
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let lineCarry = "";
    let stderr = "";
    let timedOut = false;
    let failed = false;
    const decoder = new TextDecoder("utf-8");
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);

    child.stdout.on("data", (chunk: Buffer) => {
      if (failed) return;
      if (opts.onStdoutLine !== undefined) {
        const text = lineCarry + decoder.decode(chunk, { stream: true });
        const lines = text.split("\n");
        lineCarry = lines.pop() ?? "";
        try {
          for (const line of lines) opts.onStdoutLine(line);
        } catch (error) {
          failed = true;
          child.kill("SIGKILL");
          reject(error instanceof Error ? error : new Error(String(error)));
        }
        return;
      }
      stdoutBytes += chunk.length;
      if (stdoutBytes > STDOUT_MAX_BYTES) {
        failed = true;
        child.kill("SIGKILL");
        reject(new Error(`${cmd} wrote more than ${STDOUT_MAX_BYTES} bytes to stdout`));
        return;
      }
      stdoutChunks.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < STDERR_MAX_BYTES) stderr += chunk.toString("utf8").slice(0, STDERR_MAX_BYTES - stderr.length);
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      if (failed) return;
      failed = true;
      reject(new Error(`cannot run ${cmd}: ${error.message}`, { cause: error }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (failed) return;
      if (opts.onStdoutLine !== undefined) {
        const rest = lineCarry + decoder.decode();
        try {
          if (rest !== "") opts.onStdoutLine(rest);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
      }
      resolve({
        code,
        stdout: opts.onStdoutLine === undefined ? Buffer.concat(stdoutChunks).toString("utf8") : "",
        stderr,
        ...(timedOut ? { timedOut } : {}),
        ...(signal === null ? {} : { signal }),
      });
    });
  });

/** A runner that sets `env` on every command it runs (per-call env still wins). */
export function withCommandEnv(run: CommandRunner, env: Readonly<Record<string, string>>): CommandRunner {
  return Object.keys(env).length === 0 ? run : (cmd, args, opts) => run(cmd, args, { ...opts, env: { ...env, ...opts.env } });
}

/** First line of a command's stderr, for error messages ("" when none). */
export function firstStderrLine(output: CommandOutput): string {
  return output.stderr.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}
