import { describe, expect, it } from "vitest";
import { runMtaCommand, withCommandEnv } from "./command-runner.js";

describe("runMtaCommand", () => {
  it("runs without a shell and returns exit code, stdout and stderr", async () => {
    const out = await runMtaCommand("/bin/sh", ["-c", 'echo "$0 out"; echo err >&2; exit 3', "$HOME"], { timeoutMs: 5000 });
    // The argument "$HOME" reaches sh untouched: no shell expanded it on the way.
    expect(out).toEqual({ code: 3, stdout: "$HOME out\n", stderr: "err\n" });
  });

  it("gives the commands of withCommandEnv their variables, leaving the probe's environment alone", async () => {
    const run = withCommandEnv(runMtaCommand, { MAIL_CONFIG: "/etc/postfix-out" });
    const out = await run("/bin/sh", ["-c", 'echo "$MAIL_CONFIG $LC_ALL"'], { timeoutMs: 5000 });
    expect(out.stdout).toBe("/etc/postfix-out C\n");
    expect(process.env.MAIL_CONFIG).toBeUndefined();
  });

  it("streams stdout lines, the last one even without a newline", async () => {
    const lines: string[] = [];
    const out = await runMtaCommand("/usr/bin/printf", ["a\\nb\\nc"], { timeoutMs: 5000, onStdoutLine: (line) => lines.push(line) });
    expect(lines).toEqual(["a", "b", "c"]);
    expect(out).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("kills a command at the timeout", async () => {
    const started = Date.now();
    const out = await runMtaCommand("/bin/sleep", ["10"], { timeoutMs: 200 });
    expect(out).toEqual({ code: null, stdout: "", stderr: "", timedOut: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("rejects when the program does not exist", async () => {
    await expect(runMtaCommand("/nonexistent/postqueue", ["-j"], { timeoutMs: 1000 })).rejects.toThrow(
      "cannot run /nonexistent/postqueue: spawn /nonexistent/postqueue ENOENT",
    );
  });
});
