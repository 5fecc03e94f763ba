import { afterEach, describe, expect, it } from "vitest";
import type { FakeProcTree } from "../sockets/fake-proc-tree.test-support.js";
import { detectMta } from "./detect-mta.js";
import { fakeCommandRunner } from "../fake-command-runner.test-support.js";
import { createFakeHostTree, type FakeHostEntry, type FakeHostTree } from "./fake-host-tree.test-support.js";
import { createFakeMtaProcs, DEBIAN_EXIM_ANSWERS, DEBIAN_EXIM_FILES, DEBIAN_POSTCONF, DEBIAN_POSTFIX_FILES, listen25, POSTCONF_KEY, type FakeMtaProcess } from "./fake-mta-host.test-support.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function host(entries: Record<string, FakeHostEntry>): Promise<FakeHostTree> {
  const tree = await createFakeHostTree(entries);
  cleanups.push(tree.remove);
  return tree;
}

async function procs(list: FakeMtaProcess[], tcp = ""): Promise<FakeProcTree> {
  const tree = await createFakeMtaProcs(list, tcp);
  cleanups.push(tree.remove);
  return tree;
}

describe("detectMta", () => {
  it("finds a running Debian Postfix by its executables, listener and postconf, and reports a fake smtpd", async () => {
    const fs = await host(DEBIAN_POSTFIX_FILES);
    const proc = await procs(
      [
        { pid: 812, comm: "master", exe: "/usr/lib/postfix/sbin/master", sockets: { 12: 4242 } },
        { pid: 815, comm: "qmgr", exe: "/usr/lib/postfix/sbin/qmgr", argv: ["qmgr", "-l", "-t", "unix", "-u"] },
        { pid: 4001, comm: "smtpd", exe: "/tmp/.x/smtpd", argv: ["smtpd"] },
        { pid: 4002, comm: "bash", exe: "/usr/bin/bash" },
      ],
      listen25(0, 4242),
    );
    const runner = fakeCommandRunner({ [POSTCONF_KEY]: DEBIAN_POSTCONF });

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: runner.run });

    expect(found.kind).toBe("postfix");
    expect(found.flavour).toBe("debian");
    expect(found.version).toBe("3.7.11");
    expect(found.queuePath).toBe("/var/spool/postfix");
    expect(found.logPaths).toEqual(["/var/log/mail.log", "/var/log/mail.err"]);
    expect(found.binaryPaths).toEqual([
      "/usr/bin/mailq",
      "/usr/lib/postfix/sbin/local",
      "/usr/lib/postfix/sbin/master",
      "/usr/lib/postfix/sbin/pickup",
      "/usr/lib/postfix/sbin/qmgr",
      "/usr/lib/postfix/sbin/smtp",
      "/usr/lib/postfix/sbin/smtpd",
      "/usr/sbin/postconf",
      "/usr/sbin/postdrop",
      "/usr/sbin/postfix",
      "/usr/sbin/postqueue",
      "/usr/sbin/sendmail",
    ]);
    expect(found.binaryPaths).not.toContain("/tmp/.x/smtpd");
    expect(found.evidence).toContain("process 812 (master) runs /usr/lib/postfix/sbin/master: postfix daemon");
    expect(found.evidence).toContain("0.0.0.0:25 is listened on by pid 812 /usr/lib/postfix/sbin/master (postfix)");
    expect(found.evidence).toContain("process 4001 named smtpd runs /tmp/.x/smtpd, which is not an MTA binary");
    expect(runner.calls).toEqual([{ cmd: `${fs.root}/usr/sbin/postconf`, args: POSTCONF_KEY.split(" ").slice(1), timeoutMs: 5000 }]);
  });

  it("still names Postfix when postconf fails, with the failure in evidence and default paths", async () => {
    const fs = await host(DEBIAN_POSTFIX_FILES);
    const proc = await procs([{ pid: 812, comm: "master", exe: "/usr/lib/postfix/sbin/master" }]);
    const runner = fakeCommandRunner({
      [POSTCONF_KEY]: { code: 1, stderr: "postconf: fatal: open /etc/postfix/main.cf: Permission denied\n" },
    });

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: runner.run });

    expect(found.kind).toBe("postfix");
    expect(found.version).toBe("");
    expect(found.queuePath).toBe("/var/spool/postfix");
    expect(found.logPaths).toEqual(["/var/log/mail.log", "/var/log/mail.err"]);
    expect(found.binaryPaths).toContain("/usr/lib/postfix/sbin/smtp");
    expect(found.evidence).toContain(
      "/usr/sbin/postconf failed (exit 1): postconf: fatal: open /etc/postfix/main.cf: Permission denied",
    );
  });

  it("recognises Plesk's Postfix from an installed but stopped Postfix and the psa tree", async () => {
    const fs = await host({
      "/usr/local/psa": { dir: true },
      "/usr/local/psa/var/log/maillog": "",
      "/var/log/maillog": "",
      "/etc/redhat-release": "AlmaLinux release 8.9\n",
      "/usr/sbin/postconf": { exec: "" },
      "/usr/libexec/postfix/master": { exec: "" },
      "/usr/libexec/postfix/smtp": { exec: "" },
    });
    const proc = await procs([]);
    const runner = fakeCommandRunner({
      [POSTCONF_KEY]:
        "mail_version = 3.5.8\ndaemon_directory = /usr/libexec/postfix\nqueue_directory = /var/spool/postfix\ncommand_directory = /usr/sbin\nsendmail_path = /usr/sbin/sendmail.postfix\n",
    });

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: runner.run });

    expect(found).toMatchObject({ kind: "postfix", flavour: "plesk", version: "3.5.8" });
    expect(found.logPaths).toEqual(["/usr/local/psa/var/log/maillog", "/var/log/maillog"]);
    expect(found.binaryPaths).toEqual(["/usr/libexec/postfix/master", "/usr/libexec/postfix/smtp", "/usr/sbin/postconf", "/usr/sbin/sendmail.postfix"]);
    expect(found.evidence).toContain("/usr/sbin/postconf is installed (postfix)");
  });

  it("finds cPanel's Exim daemon, asks exim for its version, spool and log_file_path", async () => {
    const fs = await host({
      "/usr/local/cpanel": { dir: true },
      "/usr/sbin/exim": { exec: "" },
      "/usr/sbin/sendmail": { link: "exim" },
      "/var/log/exim_mainlog": "",
      "/var/log/maillog": "",
    });
    const proc = await procs(
      [{ pid: 990, comm: "exim", exe: "/usr/sbin/exim", argv: ["/usr/sbin/exim", "-bd", "-q1h", "-oX", "25,465,587"], sockets: { 3: 777 } }],
      listen25(0, 777),
    );
    const runner = fakeCommandRunner({
      "exim -bV":
        "Exim version 4.98 #2 built 04-Feb-2025 10:23:40\nCopyright (c) University of Cambridge, 1995 - 2018\nConfiguration file is /etc/exim.conf\n",
      "exim -bP spool_directory log_file_path": "spool_directory = /var/spool/exim\nlog_file_path = /var/log/exim_%slog\n",
    });

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: runner.run });

    expect(found).toMatchObject({ kind: "exim", flavour: "cpanel", version: "4.98", queuePath: "/var/spool/exim" });
    expect(found.logPaths).toEqual(["/var/log/exim_mainlog", "/var/log/maillog"]);
    expect(found.binaryPaths).toEqual(["/usr/sbin/exim", "/usr/sbin/sendmail"]);
    expect(found.evidence).toContain("process 990 (exim) runs /usr/sbin/exim: exim daemon");
  });

  it("takes an Exim built outside the system directories for the MTA only when the operator names it (mta.binaryPaths)", async () => {
    const fs = await host({ "/opt/exim-out/bin/exim4": { exec: "" }, "/var/log/exim-out/mainlog": "" });
    const proc = await procs([{ pid: 991, comm: "exim4", exe: "/opt/exim-out/bin/exim4", argv: ["/opt/exim-out/bin/exim4", "-bd", "-q5m"], sockets: {} }]);
    const runner = fakeCommandRunner({
      "exim4 -bV": "Exim version 4.96 #2 built 02-Jul-2024\nConfiguration file is /opt/exim-out/etc/exim.conf\n",
      "exim4 -bP spool_directory log_file_path": "spool_directory = /opt/exim-out/spool\nlog_file_path = /var/log/exim-out/%slog\n",
    });

    const unnamed = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: runner.run });
    expect(unnamed.kind).toBe("none");
    expect(unnamed.evidence).toContain("process 991 named exim4 runs /opt/exim-out/bin/exim4, which is not an MTA binary");

    const named = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: runner.run, trustedBinaries: ["/opt/exim-out/bin/exim4"] });
    expect(named).toMatchObject({ kind: "exim", version: "4.96", queuePath: "/opt/exim-out/spool", logPaths: ["/var/log/exim-out/mainlog"] });
    expect(named.evidence).toContain("process 991 (exim4) runs /opt/exim-out/bin/exim4: exim daemon");
  });

  it("lists a Debian exim4 configured log that does not exist yet, and the sendmail symlink", async () => {
    const fs = await host({
      "/etc/debian_version": "12.8\n",
      "/usr/sbin/exim4": { exec: "" },
      "/usr/sbin/exim": { link: "exim4" },
      "/usr/sbin/sendmail": { link: "exim4" },
    });
    const proc = await procs([{ pid: 70, comm: "exim4", exe: "/usr/sbin/exim4", argv: ["/usr/sbin/exim4", "-bd", "-q30m"] }]);
    // Real Debian 12 exim4 4.96 output (exim4 -bP with the stock log_file_path).
    const runner = fakeCommandRunner({
      "exim4 -bV": "Exim version 4.96 #2 built 26-Nov-2026 14:26:47\nCopyright (c) University of Cambridge, 1995 - 2018\n",
      "exim4 -bP spool_directory log_file_path": "spool_directory = /var/spool/exim4\nlog_file_path = /var/log/exim4/%slog\n",
    });

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: runner.run });

    expect(found).toMatchObject({ kind: "exim", flavour: "debian", version: "4.96", queuePath: "/var/spool/exim4" });
    expect(found.logPaths).toEqual(["/var/log/exim4/mainlog"]);
    expect(found.binaryPaths).toEqual(["/usr/sbin/exim", "/usr/sbin/exim4", "/usr/sbin/sendmail"]);
  });

  it("finds qmail from qmail-send and a tcpserver listener running qmail-smtpd", async () => {
    const fs = await host({
      "/var/qmail/bin/qmail-send": { exec: "" },
      "/var/qmail/bin/qmail-remote": { exec: "" },
      "/var/qmail/bin/qmail-smtpd": { exec: "" },
      "/var/qmail/control/me": "mx.example.net\n",
      "/var/log/qmail/current": "",
    });
    const proc = await procs(
      [
        { pid: 300, comm: "qmail-send", exe: "/var/qmail/bin/qmail-send", argv: ["qmail-send"] },
        {
          pid: 310,
          comm: "tcpserver",
          exe: "/usr/local/bin/tcpserver",
          argv: ["tcpserver", "-v", "-R", "0", "smtp", "/var/qmail/bin/qmail-smtpd"],
          sockets: { 3: 9 },
        },
      ],
      listen25(0, 9),
    );

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: fakeCommandRunner({}).run });

    expect(found).toMatchObject({ kind: "qmail", version: "", queuePath: "/var/qmail/queue", logPaths: ["/var/log/qmail/current"] });
    expect(found.binaryPaths).toEqual(["/var/qmail/bin/qmail-remote", "/var/qmail/bin/qmail-send", "/var/qmail/bin/qmail-smtpd"]);
    expect(found.evidence).toContain("0.0.0.0:25 is listened on by pid 310 /usr/local/bin/tcpserver (qmail)");
    expect(found.evidence).toContain("/var/qmail/control/me: mx.example.net");
  });

  it("finds Debian's Sendmail daemon by its sm.bin executable and reads sendmail.cf", async () => {
    const fs = await host({
      "/usr/lib/sm.bin/sendmail": { exec: "" },
      "/usr/lib/sm.bin/mailstats": { exec: "" },
      "/usr/sbin/sendmail-mta": { link: "../lib/sm.bin/sendmail" },
      "/etc/mail/sendmail.cf": "V10/Berkeley\n# version of this configuration\nDZ8.17.1\nO QueueDirectory=/var/spool/mqueue\n",
      "/var/log/mail.log": "",
    });
    const proc = await procs([
      { pid: 55, comm: "sendmail-mta", exe: "/usr/lib/sm.bin/sendmail", argv: ["sendmail: MTA: accepting connections"] },
    ]);

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: fakeCommandRunner({}).run });

    expect(found).toMatchObject({ kind: "sendmail", version: "8.17.1", queuePath: "/var/spool/mqueue", logPaths: ["/var/log/mail.log"] });
    expect(found.binaryPaths).toEqual(["/usr/lib/sm.bin/mailstats", "/usr/lib/sm.bin/sendmail", "/usr/sbin/sendmail-mta"]);
  });

  it("accepts OpenSMTPD's smtpd only next to smtpctl", async () => {
    const fs = await host({ "/usr/sbin/smtpd": { exec: "" }, "/usr/sbin/smtpctl": { exec: "" } });
    const proc = await procs([{ pid: 20, comm: "smtpd", exe: "/usr/sbin/smtpd", argv: ["smtpd: [priv]"] }]);

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: fakeCommandRunner({}).run });

    expect(found).toMatchObject({ kind: "opensmtpd", queuePath: "/var/spool/smtpd", binaryPaths: ["/usr/sbin/smtpctl", "/usr/sbin/smtpd"] });
  });

  it("says unknown when only a non-MTA binary listens on port 25", async () => {
    const fs = await host({ "/usr/sbin/smtpd": { exec: "" } });
    const proc = await procs([{ pid: 666, comm: "smtpd", exe: "/usr/sbin/smtpd", sockets: { 5: 31337 } }], listen25(0, 31337));

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: fakeCommandRunner({}).run });

    expect(found).toEqual({
      kind: "unknown",
      version: "",
      binaryPaths: [],
      logPaths: [],
      queuePath: "",
      candidates: [],
      evidence: [
        "process 666 named smtpd runs /usr/sbin/smtpd, which is not an MTA binary",
        "0.0.0.0:25 is listened on by pid 666 /usr/sbin/smtpd, not a known MTA binary",
      ],
    });
  });

  it("says none when nothing runs, listens or is installed, and does not throw on a missing /proc", async () => {
    const fs = await host({ "/etc/debian_version": "12\n" });

    const found = await detectMta({ procRoot: `${fs.root}/no-proc`, fsRoot: fs.root, run: fakeCommandRunner({}).run });

    expect(found).toMatchObject({ kind: "none", version: "", binaryPaths: [], logPaths: [], queuePath: "" });
    expect(found.evidence).toEqual([`cannot read listening sockets: ENOENT: no such file or directory, open '${fs.root}/no-proc/net/tcp'`]);
  });

  it("prefers the running MTA over another one merely installed", async () => {
    const fs = await host({ ...DEBIAN_POSTFIX_FILES, "/usr/sbin/exim4": { exec: "" } });
    const proc = await procs([{ pid: 812, comm: "master", exe: "/usr/lib/postfix/sbin/master" }]);
    const runner = fakeCommandRunner({ [POSTCONF_KEY]: DEBIAN_POSTCONF });

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: runner.run });

    expect(found.kind).toBe("postfix");
    expect(found.evidence).toContain("exim is also present but weighs less than postfix");
  });

  it("reports what it found for each MTA it saw: the running Postfix first, the installed Exim beside it", async () => {
    const fs = await host({ ...DEBIAN_POSTFIX_FILES, ...DEBIAN_EXIM_FILES });
    const proc = await procs([{ pid: 812, comm: "master", exe: "/usr/lib/postfix/sbin/master" }]);
    const runner = fakeCommandRunner({ [POSTCONF_KEY]: DEBIAN_POSTCONF, ...DEBIAN_EXIM_ANSWERS });

    const found = await detectMta({ procRoot: proc.root, fsRoot: fs.root, run: runner.run });

    expect(found).toMatchObject({ kind: "postfix", version: "3.7.11", queuePath: "/var/spool/postfix" });
    expect(found.candidates.map((candidate) => candidate.kind)).toEqual(["postfix", "exim"]);
    expect(found.candidates[0]).toEqual({
      kind: "postfix",
      flavour: "debian",
      version: found.version,
      binaryPaths: found.binaryPaths,
      logPaths: found.logPaths,
      queuePath: found.queuePath,
    });
    expect(found.candidates[1]).toEqual({
      kind: "exim",
      flavour: "debian",
      version: "4.96",
      binaryPaths: ["/usr/sbin/exim", "/usr/sbin/exim4"],
      logPaths: ["/var/log/exim4/mainlog", "/var/log/mail.log", "/var/log/mail.err"],
      queuePath: "/var/spool/exim4",
    });
    expect(found.evidence).toContain("exim: /usr/sbin/exim4 -bV: Exim version 4.96");
  });
});
