import { afterEach, describe, expect, it } from "vitest";
import { fakeCommandRunner } from "../fake-command-runner.test-support.js";
import { createFakeHostTree, type FakeHostEntry } from "../mta/fake-host-tree.test-support.js";
import type { MtaDetection } from "../mta/mta-detection.js";
import { parseEximBp } from "./parse-exim-bp.js";
import { parsePostqueueJson } from "./parse-postqueue-json.js";
import { fixtureText } from "./queue-test-files.test-support.js";
import { QueueReadError, readQueueSnapshot } from "./read-queue-snapshot.js";

const NOW = 1795943143_000;
const now = () => NOW;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function host(entries: Record<string, FakeHostEntry>): Promise<string> {
  const tree = await createFakeHostTree(entries);
  cleanups.push(tree.remove);
  return tree.root;
}

function detection(kind: MtaDetection["kind"], binaryPaths: string[], queuePath = ""): MtaDetection {
  return { kind, version: "", binaryPaths, logPaths: [], queuePath, evidence: [] };
}

const POSTFIX = detection("postfix", ["/usr/sbin/postqueue", "/usr/sbin/sendmail"], "/var/spool/postfix");
// What a non-root postqueue says when Postfix is stopped (Postfix 3.7.11, exit 69).
const MAIL_SYSTEM_DOWN = {
  code: 69,
  stderr: "postqueue: fatal: Queue report unavailable - mail system is down (Connect to the Postfix showq service: Connection refused)\n",
};

describe("readQueueSnapshot", () => {
  it("reads Postfix with postqueue -j, streamed, under the list timeout", async () => {
    const runner = fakeCommandRunner({ "postqueue -j": fixtureText("postfix-postqueue-j-lab.jsonl") });
    const snapshot = await readQueueSnapshot(POSTFIX, runner.run, { now, listTimeoutMs: 1234 });
    expect(snapshot).toEqual(parsePostqueueJson(fixtureText("postfix-postqueue-j-lab.jsonl"), NOW));
    expect(runner.calls).toEqual([{ cmd: "/usr/sbin/postqueue", args: ["-j"], timeoutMs: 1234 }]);
  });

  it("falls back to postqueue -p on a Postfix without -j", async () => {
    const runner = fakeCommandRunner({
      "postqueue -j": { code: 64, stderr: "postqueue: invalid option -- 'j'\npostqueue: fatal: usage: postqueue -f | postqueue -p | postqueue -s site\n" },
      "postqueue -p": fixtureText("postfix-postqueue-p-lab.txt"),
    });
    const snapshot = await readQueueSnapshot(POSTFIX, runner.run, { now, utcOffsetMinutes: 0 });
    expect(snapshot).toMatchObject({ source: "postqueue -p", total: 3, frozenOrHeld: 1, nullSender: 1 });
  });

  it("counts queue files when postqueue cannot list (Postfix stopped, probe not root)", async () => {
    const fsRoot = await host({
      "/var/spool/postfix/active": { dir: true },
      "/var/spool/postfix/deferred/8/8458F17013D": "",
      "/var/spool/postfix/deferred/9/98B22170147": "",
      "/var/spool/postfix/hold/8038B17013E": "",
      "/var/spool/postfix/incoming": { dir: true },
      "/var/spool/postfix/maildrop/5B24417016D": "",
    });
    const runner = fakeCommandRunner({ "postqueue -j": MAIL_SYSTEM_DOWN });
    const snapshot = await readQueueSnapshot(POSTFIX, runner.run, { now, fsRoot });
    expect(snapshot).toMatchObject({
      source: "files in /var/spool/postfix",
      complete: false,
      total: 4,
      byQueue: { active: 0, deferred: 2, hold: 1, incoming: 0, maildrop: 1 },
      frozenOrHeld: 1,
      oldestAgeSeconds: null,
    });
  });

  it("rejects with both reasons when neither postqueue nor the queue folders can be read", async () => {
    const fsRoot = await host({ "/etc/debian_version": "12\n" });
    const runner = fakeCommandRunner({ "postqueue -j": MAIL_SYSTEM_DOWN });
    const reading = readQueueSnapshot(POSTFIX, runner.run, { now, fsRoot });
    await expect(reading).rejects.toBeInstanceOf(QueueReadError);
    await expect(reading).rejects.toThrow(
      `postqueue -j failed (exit 69): postqueue: fatal: Queue report unavailable - mail system is down (Connect to the Postfix showq service: Connection refused); counting /var/spool/postfix failed too: ENOENT: no such file or directory, scandir '${fsRoot}/var/spool/postfix/active'`,
    );
  });

  it("reads Exim with -bpc then -bp", async () => {
    const exim = detection("exim", ["/usr/sbin/exim", "/usr/sbin/exim4", "/usr/sbin/sendmail"]);
    const runner = fakeCommandRunner({ "exim -bpc": "4\n", "exim -bp": fixtureText("exim-bp-debian-4.96-lab.txt") });
    expect(await readQueueSnapshot(exim, runner.run, { now })).toEqual(parseEximBp(fixtureText("exim-bp-debian-4.96-lab.txt"), NOW));
    expect(runner.calls.map((call) => call.args)).toEqual([["-bpc"], ["-bp"]]);
  });

  it("keeps Exim's count when the listing times out", async () => {
    const exim = detection("exim", ["/usr/sbin/exim4"]);
    const runner = fakeCommandRunner({ "exim4 -bpc": "250000\n", "exim4 -bp": { code: null, stdout: " 0m   290 1xXaqX-0004QJ-38 <a@b>\n", timedOut: true } });
    expect(await readQueueSnapshot(exim, runner.run, { now })).toMatchObject({ source: "exim4 -bpc", complete: false, total: 250000, topSenders: [] });
  });

  it("rejects for Exim when both commands fail", async () => {
    const exim = detection("exim", ["/usr/sbin/exim4"]);
    const runner = fakeCommandRunner({ "exim4 -bpc": { code: 1, stderr: "exim: permission denied\n" }, "exim4 -bp": { code: 1, stderr: "exim: permission denied\n" } });
    await expect(readQueueSnapshot(exim, runner.run, { now })).rejects.toThrow(
      "exim4 -bp failed (exit 1): exim: permission denied; exim4 -bpc failed (exit 1): exim: permission denied",
    );
  });

  it("reads Sendmail with mailq when it exists, else sendmail -bp", async () => {
    const sendmail = detection("sendmail", ["/usr/lib/sm.bin/sendmail", "/usr/sbin/sendmail"]);
    const text = fixtureText("sendmail-mailq-msp-mta.txt");
    const withMailq = await host({ "/usr/bin/mailq": { exec: "" } });
    const runner = fakeCommandRunner({ "mailq": text, "sendmail -bp": text });
    expect(await readQueueSnapshot(sendmail, runner.run, { now, fsRoot: withMailq, utcOffsetMinutes: 0 })).toMatchObject({ total: 4 });
    const without = await host({});
    expect(await readQueueSnapshot(sendmail, runner.run, { now, fsRoot: without, utcOffsetMinutes: 0 })).toMatchObject({ total: 4 });
    expect(runner.calls.map((call) => [call.cmd, call.args])).toEqual([
      [`${withMailq}/usr/bin/mailq`, []],
      [`${without}/usr/lib/sm.bin/sendmail`, ["-bp"]],
    ]);
  });

  it("reads qmail with qmail-qstat and qmail-qread, adding the not yet preprocessed messages", async () => {
    const qmail = detection("qmail", ["/var/qmail/bin/qmail-send"], "/var/qmail/queue");
    const runner = fakeCommandRunner({ "qmail-qstat": fixtureText("qmail-qstat.txt"), "qmail-qread": fixtureText("qmail-qread.txt") });
    expect(await readQueueSnapshot(qmail, runner.run, { now })).toMatchObject({ total: 4, byQueue: { queued: 3, todo: 1 }, nullSender: 2 });
  });

  it("falls back to qmail-qstat's counts when qmail-qread fails", async () => {
    const qmail = detection("qmail", ["/var/qmail/bin/qmail-send"], "/var/qmail/queue");
    const runner = fakeCommandRunner({ "qmail-qstat": fixtureText("qmail-qstat.txt"), "qmail-qread": { code: 111, stdout: "fatal: unable to chdir: access denied\n" } });
    expect(await readQueueSnapshot(qmail, runner.run, { now })).toMatchObject({ complete: false, total: 4, byQueue: { queued: 3, todo: 1 } });
  });

  it.each(["opensmtpd", "unknown", "none"] as const)("has no reader for %s", async (kind) => {
    const runner = fakeCommandRunner({});
    expect(await readQueueSnapshot(detection(kind, []), runner.run, { now })).toBeNull();
    expect(runner.calls).toEqual([]);
  });
});
