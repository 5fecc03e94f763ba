import { describe, expect, it } from "vitest";
import { runCommand } from "./run-command.js";

describe("runCommand", () => {
  it.each([
    { name: "success", args: ["-c", "echo out; echo err >&2"], output: { stdout: "out\n", stderr: "err\n", exitCode: 0, signal: null } },
    { name: "non-zero exit resolves", args: ["-c", "echo partial; exit 1"], output: { stdout: "partial\n", stderr: "", exitCode: 1, signal: null } },
    { name: "environment overrides", args: ["-c", 'printf %s "$SPAMTRACE_X"'], env: { SPAMTRACE_X: "y" }, output: { stdout: "y", stderr: "", exitCode: 0, signal: null } },
  ])("$name", async ({ args, env, output }) => {
    expect(await runCommand("/bin/sh", args, env === undefined ? {} : { env })).toEqual(output);
  });

  it("reports a timeout as a signal", async () => {
    expect(await runCommand("/bin/sh", ["-c", "exec sleep 5"], { timeoutMs: 100 })).toEqual({ stdout: "", stderr: "", exitCode: null, signal: "SIGTERM" });
  });

  it("rejects when the program cannot be started", async () => {
    await expect(runCommand("/nonexistent/prog", [])).rejects.toThrow("cannot run /nonexistent/prog: spawn /nonexistent/prog ENOENT");
  });
});
