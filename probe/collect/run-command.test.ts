import { describe, expect, it } from "vitest";
import { runCommand, withCommandEnv } from "./run-command.js";

describe("runCommand", () => {
  it("runs without a shell and returns exit code, stdout and stderr", async () => {
    const out = await runCommand("/bin/sh", ["-c", 'echo "$0 out"; echo err >&2; exit 3', "$HOME"], { timeoutMs: 5000 });
    // The argument "$HOME" reaches sh untouched: no shell expanded it on the way.
    expect(out).toEqual({ code: 3, stdout: "$HOME out\n", stderr: "err\n" });
  });

  it("gives the commands of withCommandEnv their variables, leaving the probe's environment alone", async () => {
    const run = withCommandEnv(runCommand, { MAIL_CONFIG: "/etc/postfix-out" });
    const out = await run("/bin/sh", ["-c", 'echo "$MAIL_CONFIG $LC_ALL"'], { timeoutMs: 5000 });
    expect(out.stdout).toBe("/etc/postfix-out C\n");
    expect(process.env.MAIL_CONFIG).toBeUndefined();
  });

  it("streams stdout lines, the last one even without a newline", async () => {
    const lines: string[] = [];
    const out = await runCommand("/usr/bin/printf", ["a\\nb\\nc"], { timeoutMs: 5000, onStdoutLine: (line) => lines.push(line) });
    expect(lines).toEqual(["a", "b", "c"]);
    expect(out).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("kills a command at the timeout", async () => {
    const started = Date.now();
    const out = await runCommand("/bin/sleep", ["10"], { timeoutMs: 200 });
    expect(out).toEqual({ code: null, stdout: "", stderr: "", timedOut: true, signal: "SIGKILL" });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("lets a caller's environment win over the LC_ALL=C default (lsof runs under C.UTF-8)", async () => {
    const out = await runCommand("/bin/sh", ["-c", 'printf %s "$LC_ALL"'], { timeoutMs: 5000, env: { LC_ALL: "C.UTF-8" } });
    expect(out).toEqual({ code: 0, stdout: "C.UTF-8", stderr: "" });
  });

  it("reports the signal that ended a command", async () => {
    expect(await runCommand("/bin/sh", ["-c", "kill -TERM $$"], { timeoutMs: 5000 })).toEqual({ code: null, stdout: "", stderr: "", signal: "SIGTERM" });
  });

  it("rejects when the program does not exist", async () => {
    await expect(runCommand("/nonexistent/postqueue", ["-j"], { timeoutMs: 1000 })).rejects.toThrow(
      "cannot run /nonexistent/postqueue: spawn /nonexistent/postqueue ENOENT",
    );
  });
});
