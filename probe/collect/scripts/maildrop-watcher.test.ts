import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MaildropWatcher, readChainSync } from "./maildrop-watcher.js";
import type { ScriptSubmission } from "./script-submission.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

// Real inotify and /proc: a writer named like postdrop's temporary file
// (<microseconds>.<its pid>) is read while it lives; the Postfix lab test
// (test/scripts-postfix-lab.test.ts) does the same with the real postdrop.
describe("MaildropWatcher", () => {
  it("reads the ancestry of the process named by the new file, while it runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "maildrop-"));
    const work = await mkdtemp(join(tmpdir(), "maildrop-script-"));
    dirs.push(dir, work);
    const script = join(work, "writer.sh");
    await writeFile(script, `: > "${dir}/123456.$$"\nmv "${dir}/123456.$$" "${dir}/ABCDEF12345"\nsleep 0.3\n`);
    const seen: ScriptSubmission[] = [];
    const warnings: string[] = [];
    const watcher = new MaildropWatcher({ dir, onSubmission: (s) => seen.push(s), onWarning: (w) => warnings.push(w) });
    watcher.start();
    try {
      const child = spawn("sh", [script], { cwd: work, stdio: "ignore" });
      await new Promise((resolve) => child.on("exit", resolve));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(warnings).toEqual([]);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ source: "maildrop", script, uid: process.getuid!(), sender: null });
      expect(seen[0]!.chain[0]).toMatchObject({ pid: child.pid, argv: ["sh", script], cwd: work });
      expect(seen[0]!.chain[1]!.pid).toBe(process.pid);
      expect(watcher.missed).toBe(0);
    } finally {
      watcher.stop();
    }
  });

  it("a writer already gone is put on the uid's last submitter only while that one still runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "maildrop-"));
    const work = await mkdtemp(join(tmpdir(), "maildrop-script-"));
    dirs.push(dir, work);
    // A pid that has exited: the writer the watcher came too late for.
    const gone = spawn("true");
    await new Promise((resolve) => gone.on("exit", resolve));
    const script = join(work, "loop.sh");
    await writeFile(script, `: > "${dir}/1.$$"\nsleep 0.2\n: > "${dir}/2.${gone.pid}"\nsleep 0.3\n`);
    const seen: ScriptSubmission[] = [];
    const watcher = new MaildropWatcher({ dir, onSubmission: (s) => seen.push(s), onWarning: () => undefined });
    watcher.start();
    try {
      const child = spawn("sh", [script], { cwd: work, stdio: "ignore" });
      await new Promise((resolve) => child.on("exit", resolve));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen.map((s) => s.script)).toEqual([script, script]);
      expect(seen[1]!.raw).toMatch(/^writer gone; the uid's last submitter still runs: /);
      expect([watcher.inferred, watcher.missed]).toEqual([1, 0]);
      // Once it has exited, nothing is inferred any more.
      await writeFile(join(dir, `3.${gone.pid}`), "");
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen[2]).toMatchObject({ script: null, chain: [] });
      expect(watcher.missed).toBe(1);
    } finally {
      watcher.stop();
    }
  });

  it("reads the ancestry up to the first session or server process, not what runs above it", async () => {
    const proc = await mkdtemp(join(tmpdir(), "maildrop-proc-"));
    dirs.push(proc);
    // postdrop <- sendmail <- runuser <- a job runner with a 6,000-character argument <- init
    const tree: Array<[number, number, string[]]> = [
      [40, 30, ["/usr/sbin/postdrop", "-r"]],
      [30, 20, ["/usr/sbin/sendmail", "-t"]],
      [20, 10, ["runuser", "-u", "web", "--", "sh", "send.sh"]],
      [10, 1, ["job-runner", `--env=${"x".repeat(6000)}`]],
    ];
    for (const [pid, ppid, argv] of tree) {
      await mkdir(join(proc, String(pid)));
      await writeFile(join(proc, String(pid), "status"), `Name:\t${argv[0]!.split("/").pop()}\nPPid:\t${ppid}\nUid:\t1000\t1000\t1000\t1000\n`);
      await writeFile(join(proc, String(pid), "cmdline"), `${argv.join("\0")}\0`);
    }
    expect(readChainSync(40, proc).map((p) => p.pid)).toEqual([40, 30, 20]);
  });

  it("a folder it cannot watch is a warning, not a crash", () => {
    const warnings: string[] = [];
    const watcher = new MaildropWatcher({ dir: "/nonexistent/maildrop", onSubmission: () => undefined, onWarning: (w) => warnings.push(w) });
    watcher.start();
    watcher.stop();
    expect(warnings).toEqual([expect.stringMatching(/^cannot watch \/nonexistent\/maildrop: .*ENOENT.*named by uid only/)]);
  });
});
