import { basename, dirname } from "node:path";
import type { KnownMtaKind } from "../../../shared/mta/mta-kinds.js";

/** What an executable path says about a process: which MTA it belongs to and whether it is the long-running daemon. */
export interface MtaExecutableClass {
  /** MTA the executable belongs to. */
  kind: KnownMtaKind;
  /** "daemon" for the process that owns the queue (postfix master, exim -bd, sendmail daemon, qmail-send, smtpd); "agent" for helpers and submission commands. */
  role: "daemon" | "agent";
}

// Directories packages install MTA binaries into. A binary with an MTA's name
// anywhere else (/tmp, /dev/shm, a home or web root) is not the MTA: spammers
// name their tools "sendmail" or "smtpd" precisely so that a glance at ps misses them.
const SYSTEM_BIN_DIRS = new Set(["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin", "/usr/exim/bin"]);
const POSTFIX_COMMANDS = /^post(fix|drop|queue|super|log|kick|map|alias|conf|cat|lock|multi|screen)$/;
const EXIM_NAME = /^exim4?(-\d[\w.-]*)?$/;
const SENDMAIL_DAEMON_EXES = new Set([
  "/usr/lib/sm.bin/sendmail", // Debian sendmail-bin (sendmail-mta is a symlink to it)
  "/usr/sbin/sendmail.sendmail", // RHEL alternatives
  "/usr/libexec/sendmail/sendmail", // FreeBSD
  "/usr/sbin/sendmail-mta",
]);
const OPENSMTPD_EXES = new Set(["/usr/sbin/smtpd", "/usr/local/sbin/smtpd"]);

/**
 * Names an MTA's processes use; a process so named whose executable is not
 * classified as that MTA's is worth reporting (the guide's warning about fake
 * "smtpd"/"sendmail" processes).
 */
export const MTA_LOOKALIKE_NAMES: ReadonlySet<string> = new Set([
  "sendmail",
  "smtpd",
  "smtp",
  "exim",
  "exim4",
  "postfix",
  "master",
  "qmgr",
  "pickup",
  "postdrop",
  "qmail-send",
  "qmail-smtpd",
  "qmail-remote",
]);

function hasPathSegment(dir: string, segment: string): boolean {
  return dir.split("/").includes(segment);
}

/**
 * Classifies a process by its executable path (/proc/PID/exe, already
 * resolved) and argv; null when the executable is not a known MTA binary.
 * Classification is by location, never by process name alone.
 */
export function classifyMtaExecutable(exe: string, argv: readonly string[] = []): MtaExecutableClass | null {
  if (!exe.startsWith("/")) return null;
  const name = basename(exe);
  const dir = dirname(exe);
  // Postfix daemons live in daemon_directory: /usr/lib/postfix/sbin (Debian), /usr/libexec/postfix (RHEL).
  if (dir.startsWith("/usr/") && hasPathSegment(dir, "postfix")) {
    return { kind: "postfix", role: name === "master" ? "daemon" : "agent" };
  }
  if (SYSTEM_BIN_DIRS.has(dir) && POSTFIX_COMMANDS.test(name)) return { kind: "postfix", role: "agent" };
  if (SYSTEM_BIN_DIRS.has(dir) && EXIM_NAME.test(name)) {
    return { kind: "exim", role: argv.includes("-bd") ? "daemon" : "agent" };
  }
  if (exe.startsWith("/var/qmail/bin/")) return { kind: "qmail", role: name === "qmail-send" ? "daemon" : "agent" };
  const sendmailTitle = (argv[0] ?? "").startsWith("sendmail: ");
  if (SENDMAIL_DAEMON_EXES.has(exe) || dir === "/usr/lib/sm.bin") {
    return { kind: "sendmail", role: sendmailTitle ? "daemon" : "agent" };
  }
  // /usr/sbin/sendmail is every MTA's compatibility command; only real sendmail's daemon retitles itself "sendmail: ...".
  if (exe === "/usr/sbin/sendmail" && sendmailTitle) return { kind: "sendmail", role: "daemon" };
  if (OPENSMTPD_EXES.has(exe)) return { kind: "opensmtpd", role: "daemon" };
  return null;
}
