import { describe, expect, it } from "vitest";
import { parseSyslogMailDestinations } from "./find-mta-log-paths.js";
import { eximMainLogPaths, parseEximVersion } from "./read-exim-config.js";
import { parsePostconfOutput } from "./read-postfix-config.js";
import { parseSendmailCf } from "./read-sendmail-config.js";

describe("parsePostconfOutput", () => {
  it("reads name = value lines, empty values included, and ignores anything else", () => {
    const values = parsePostconfOutput("mail_version = 3.7.11\nmaillog_file =\npostconf: warning: bogus: unknown parameter\n\n");
    expect([...values]).toEqual([
      ["mail_version", "3.7.11"],
      ["maillog_file", ""],
    ]);
  });
});

describe("parseEximVersion", () => {
  it.each([
    { input: "Exim version 4.96 #2 built 26-Nov-2026 14:26:47\nCopyright (c) University of Cambridge, 1995 - 2018\n", output: "4.96" },
    { input: "Exim version 4.98.1 #2 built 04-Feb-2025 10:23:40\n", output: "4.98.1" },
    { input: "LOG: MAIN PANIC DIE\n  non-existent configuration file(s): /etc/exim4/exim4.conf\n", output: "" },
  ])("$output", ({ input, output }) => {
    expect(parseEximVersion(input)).toBe(output);
  });
});

describe("eximMainLogPaths", () => {
  it.each([
    { logFilePath: "/var/log/exim4/%slog", spool: "/var/spool/exim4", paths: ["/var/log/exim4/mainlog"], notes: [] },
    { logFilePath: "/var/log/exim_%slog", spool: "/var/spool/exim", paths: ["/var/log/exim_mainlog"], notes: [] },
    { logFilePath: "syslog", spool: "/var/spool/exim", paths: [], notes: [] },
    { logFilePath: "", spool: "/var/spool/exim", paths: ["/var/spool/exim/log/mainlog"], notes: [] },
    { logFilePath: ":syslog", spool: "/var/spool/exim", paths: ["/var/spool/exim/log/mainlog"], notes: [] },
    { logFilePath: "syslog : /var/log/exim/%s.log", spool: "/s", paths: ["/var/log/exim/main.log"], notes: [] },
    {
      logFilePath: "/var/log/exim/%slog-%D",
      spool: "/s",
      paths: [],
      notes: ["log_file_path /var/log/exim/%slog-%D is date-stamped; tailing a fixed file name is not supported"],
    },
  ])("$logFilePath", ({ logFilePath, spool, paths, notes }) => {
    expect(eximMainLogPaths(logFilePath, spool)).toEqual({ paths, notes });
  });
});

describe("parseSyslogMailDestinations", () => {
  it("keeps file actions of rules selecting the mail facility", () => {
    // Debian 12 rsyslog.conf rules, plus a RHEL one and a comment.
    const text = [
      "*.*;auth,authpriv.none\t\t-/var/log/syslog",
      "mail.*\t\t\t\t-/var/log/mail.log",
      "mail.err\t\t\t/var/log/mail.err",
      "# mail.* /var/log/commented",
      "mail.*                                                  -/var/log/maillog",
      "*.info;mail.none;authpriv.none;cron.none                /var/log/messages",
      "mail.*  @loghost",
      "$IncludeConfig /etc/rsyslog.d/*.conf",
    ].join("\n");
    expect(parseSyslogMailDestinations(text)).toEqual(["/var/log/mail.log", "/var/log/mail.err", "/var/log/maillog"]);
  });
});

describe("parseSendmailCf", () => {
  it("reads the DZ version and QueueDirectory, defaulting the queue", () => {
    expect(parseSendmailCf("V10/Berkeley\nDZ8.15.2\nO QueueDirectory=/var/spool/mqueue-a\n")).toEqual({
      version: "8.15.2",
      queueDirectory: "/var/spool/mqueue-a",
    });
    expect(parseSendmailCf("V10/Berkeley\n")).toEqual({ version: "", queueDirectory: "/var/spool/mqueue" });
  });
});
