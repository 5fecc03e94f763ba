import { describe, expect, it } from "vitest";
import { classifyMtaExecutable } from "./classify-mta-executable.js";

describe("classifyMtaExecutable", () => {
  it.each([
    { exe: "/usr/lib/postfix/sbin/master", argv: ["/usr/lib/postfix/sbin/master", "-w"], out: { kind: "postfix", role: "daemon" } },
    { exe: "/usr/lib/postfix/sbin/smtp", argv: ["smtp", "-t", "unix", "-u", "-c"], out: { kind: "postfix", role: "agent" } },
    { exe: "/usr/libexec/postfix/smtpd", argv: [], out: { kind: "postfix", role: "agent" } },
    { exe: "/usr/sbin/postdrop", argv: [], out: { kind: "postfix", role: "agent" } },
    { exe: "/usr/sbin/exim4", argv: ["/usr/sbin/exim4", "-bd", "-q30m"], out: { kind: "exim", role: "daemon" } },
    { exe: "/usr/sbin/exim", argv: ["/usr/sbin/exim", "-Mc", "1xXaqX-0004QJ-38"], out: { kind: "exim", role: "agent" } },
    { exe: "/usr/sbin/exim-4.96-2", argv: ["exim", "-bd"], out: { kind: "exim", role: "daemon" } },
    { exe: "/var/qmail/bin/qmail-send", argv: ["qmail-send"], out: { kind: "qmail", role: "daemon" } },
    { exe: "/var/qmail/bin/qmail-remote", argv: [], out: { kind: "qmail", role: "agent" } },
    { exe: "/usr/lib/sm.bin/sendmail", argv: ["sendmail: MTA: accepting connections"], out: { kind: "sendmail", role: "daemon" } },
    { exe: "/usr/sbin/sendmail.sendmail", argv: ["sendmail: MTA: ./4ATLQ1qD001234 example.org.: user open"], out: { kind: "sendmail", role: "daemon" } },
    { exe: "/usr/sbin/sendmail", argv: ["sendmail: accepting connections"], out: { kind: "sendmail", role: "daemon" } },
    { exe: "/usr/sbin/smtpd", argv: ["smtpd: queue"], out: { kind: "opensmtpd", role: "daemon" } },
    // Compatibility sendmail of Postfix/Exim submitting a web script's mail: not a sendmail daemon.
    { exe: "/usr/sbin/sendmail", argv: ["/usr/sbin/sendmail", "-t", "-i"], out: null },
    // Names that mimic the MTA from places no package installs to.
    { exe: "/tmp/.x/smtpd", argv: ["smtpd"], out: null },
    { exe: "/dev/shm/sendmail", argv: ["sendmail: MTA: accepting connections"], out: null },
    { exe: "/home/web1/postfix/master", argv: [], out: null },
    { exe: "/var/www/html/exim", argv: ["exim", "-bd"], out: null },
    { exe: "/usr/bin/perl", argv: ["/usr/sbin/exim4"], out: null },
    { exe: "master", argv: [], out: null },
  ])("$exe $argv", ({ exe, argv, out }) => {
    expect(classifyMtaExecutable(exe, argv)).toEqual(out);
  });
});
