import type { KnownMtaKind } from "../../../shared/mta/mta-kinds.js";
import type { HostFiles } from "./host-files.js";

/** Facts from configuration that locate an MTA's binaries. */
export interface MtaBinaryHints {
  /** Postfix daemon_directory. */
  postfixDaemonDirectory?: string;
  /** Postfix command_directory. */
  postfixCommandDirectory?: string;
  /** Postfix sendmail_path. */
  postfixSendmailPath?: string;
  /** Exim binary that answered -bV. */
  eximBinary?: string;
  /** Executables of running processes classified as this MTA. */
  runningExes?: readonly string[];
}

const POSTFIX_DAEMON_DIRS = ["/usr/lib/postfix/sbin", "/usr/libexec/postfix", "/usr/lib/postfix"] as const;
const POSTFIX_COMMAND_NAMES = /^(post(fix|drop|queue|super|log|kick|map|alias|conf|cat|lock|multi)|sendmail)$/;
const SENDMAIL_DIRS = ["/usr/lib/sm.bin", "/usr/libexec/sendmail"] as const;
const SENDMAIL_FILES = ["/usr/sbin/sendmail.sendmail", "/usr/sbin/sendmail-mta", "/usr/sbin/sendmail-msp", "/usr/sbin/sendmail"] as const;
const EXIM_FILES = ["/usr/sbin/exim4", "/usr/sbin/exim", "/usr/exim/bin/exim", "/usr/local/sbin/exim"] as const;
const COMPAT_COMMANDS = ["/usr/sbin/sendmail", "/usr/lib/sendmail", "/usr/bin/mailq", "/usr/bin/newaliases"] as const;
const OPENSMTPD_FILES = ["/usr/sbin/smtpd", "/usr/sbin/smtpctl", "/usr/local/sbin/smtpd", "/usr/local/sbin/smtpctl"] as const;

async function executablesIn(files: HostFiles, dir: string, filter: (name: string) => boolean = () => true): Promise<string[]> {
  const out: string[] = [];
  for (const name of await files.list(dir)) {
    const path = `${dir}/${name}`;
    if (filter(name) && (await files.isExecutable(path))) out.push(path);
  }
  return out;
}

/**
 * The executables that belong to the MTA, with symlinks also listed as their
 * targets (what /proc/PID/exe shows), sorted and deduplicated. The sendmail
 * compatibility commands (/usr/sbin/sendmail, mailq) are included when they
 * lead to this MTA's binaries.
 */
export async function listMtaBinaries(files: HostFiles, kind: KnownMtaKind, hints: MtaBinaryHints): Promise<string[]> {
  const paths: string[] = [...(hints.runningExes ?? [])];
  switch (kind) {
    case "postfix": {
      const daemonDirs = hints.postfixDaemonDirectory ? [hints.postfixDaemonDirectory] : POSTFIX_DAEMON_DIRS;
      for (const dir of daemonDirs) paths.push(...(await executablesIn(files, dir)));
      const commandDir = hints.postfixCommandDirectory || "/usr/sbin";
      paths.push(...(await executablesIn(files, commandDir, (name) => POSTFIX_COMMAND_NAMES.test(name))));
      if (hints.postfixSendmailPath) paths.push(hints.postfixSendmailPath);
      break;
    }
    case "exim":
      if (hints.eximBinary) paths.push(hints.eximBinary);
      for (const file of EXIM_FILES) if (await files.isExecutable(file)) paths.push(file);
      break;
    case "sendmail":
      for (const dir of SENDMAIL_DIRS) paths.push(...(await executablesIn(files, dir)));
      for (const file of SENDMAIL_FILES) if (await files.isExecutable(file)) paths.push(file);
      break;
    case "qmail":
      paths.push(...(await executablesIn(files, "/var/qmail/bin")));
      break;
    case "opensmtpd":
      for (const file of OPENSMTPD_FILES) if (await files.isExecutable(file)) paths.push(file);
      paths.push(...(await executablesIn(files, "/usr/libexec/opensmtpd")));
      break;
  }
  const owned = new Set(paths);
  const withTargets = new Set<string>();
  for (const path of owned) {
    withTargets.add(path);
    const target = await files.resolveLink(path);
    if (target !== null) withTargets.add(target);
  }
  // /usr/sbin/sendmail & co belong to whichever MTA they lead to.
  for (const compat of COMPAT_COMMANDS) {
    const target = await files.resolveLink(compat);
    if (target !== null && withTargets.has(target)) withTargets.add(compat);
  }
  return [...withTargets].filter((path) => path !== "").sort();
}
