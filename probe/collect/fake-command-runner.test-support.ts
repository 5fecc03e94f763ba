import { basename } from "node:path";
import type { CommandOutput, CommandRunner } from "./run-command.js";

/** One call a FakeCommandRunner received. */
export interface RecordedCall {
  /** Command path as given. */
  cmd: string;
  /** Arguments. */
  args: string[];
  /** Timeout asked for. */
  timeoutMs: number;
}

/** A CommandRunner answering from a table keyed by "basename arg1 arg2…"; unknown commands fail like ENOENT. */
export interface FakeCommandRunner {
  /** The runner to inject. */
  run: CommandRunner;
  /** Calls received, in order. */
  calls: RecordedCall[];
}

/** Builds a fake runner; a string answer means exit 0 with that stdout, a function answer is called per run. */
export function fakeCommandRunner(
  answers: Record<string, string | Partial<CommandOutput> | (() => Partial<CommandOutput> | Promise<Partial<CommandOutput>>)>,
): FakeCommandRunner {
  const calls: RecordedCall[] = [];
  const run: CommandRunner = async (cmd, args, opts) => {
    calls.push({ cmd, args: [...args], timeoutMs: opts.timeoutMs });
    const key = [basename(cmd), ...args].join(" ");
    const answer = answers[key];
    if (answer === undefined) throw new Error(`cannot run ${cmd}: spawn ${cmd} ENOENT`);
    const partial = typeof answer === "string" ? { stdout: answer } : typeof answer === "function" ? await answer() : answer;
    const output: CommandOutput = { code: 0, stdout: "", stderr: "", ...partial };
    if (opts.onStdoutLine !== undefined) {
      const lines = output.stdout.split("\n");
      if (lines[lines.length - 1] === "") lines.pop();
      for (const line of lines) opts.onStdoutLine(line);
      return { ...output, stdout: "" };
    }
    return output;
  };
  return { run, calls };
}
