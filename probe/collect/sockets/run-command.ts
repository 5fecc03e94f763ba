import { execFile } from "node:child_process";

/** Outcome of a finished command. */
export interface CommandResult {
  /** Everything written to stdout, decoded as UTF-8. */
  stdout: string;
  /** Everything written to stderr, decoded as UTF-8. */
  stderr: string;
  /** Exit status, or null when killed by a signal. */
  exitCode: number | null;
  /** Signal that ended it (e.g. "SIGTERM" after the timeout), or null. */
  signal: string | null;
}

/** Options for runCommand. */
export interface RunCommandOptions {
  /** Kill the command after this many ms; default 10000. */
  timeoutMs?: number;
  /** Extra environment variables on top of the probe's own. */
  env?: Record<string, string>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Runs a program without a shell and resolves with its output whatever its
 * exit status; rejects only when it could not be started (e.g. ENOENT) or its
 * output exceeded 64 MiB.
 */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        encoding: "utf8",
        maxBuffer: MAX_OUTPUT_BYTES,
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        env: { ...process.env, ...options.env },
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr, exitCode: 0, signal: null });
          return;
        }
        const failure = error as NodeJS.ErrnoException & { code?: unknown; signal?: NodeJS.Signals | null };
        if (failure.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") {
          reject(new Error(`${file} wrote more than ${MAX_OUTPUT_BYTES} bytes`, { cause: error }));
          return;
        }
        if (typeof failure.code === "number" || (failure.signal ?? null) !== null) {
          resolve({
            stdout,
            stderr,
            exitCode: typeof failure.code === "number" ? failure.code : null,
            signal: failure.signal ?? null,
          });
          return;
        }
        reject(new Error(`cannot run ${file}: ${failure.message}`, { cause: error }));
      },
    );
  });
}
