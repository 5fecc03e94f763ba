import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A spamtrace CLI running as a child process, with its output captured. */
export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when the output matches `pattern`; rejects on exit or timeout with the output. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts `bin/<bin>.js args...` in `cwd`. */
export function startCli(bin: "spamtrace" | "spamtrace-probe", args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): CliProcess {
  const child = spawn(process.execPath, [`${REPO_ROOT}bin/${bin}.js`, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return watchProcess(child, bin);
}

/** Captures the output of a child spawned with piped stdout and stderr; `name` appears in error messages. */
export function watchProcess(child: ChildProcess, name: string): CliProcess {
  const bin = name;
  let text = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString("utf8");
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve(code ?? signal ?? "unknown");
      for (const listener of listeners) listener();
    });
  });
  return {
    child,
    output: () => text,
    exited,
    waitForOutput: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(text);
          if (match) {
            done();
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${bin} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${text}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${bin} did not print ${pattern} within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
    kill: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a CLI to completion and returns its exit code, stdout and stderr. */
export async function runCliToEnd(
  bin: "spamtrace" | "spamtrace-probe",
  args: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [`${REPO_ROOT}bin/${bin}.js`, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const code = await new Promise<number | string>((resolve) => child.once("exit", (c, s) => resolve(c ?? s ?? "unknown")));
  return { code, stdout, stderr };
}
