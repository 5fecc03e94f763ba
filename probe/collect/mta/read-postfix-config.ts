import { firstStderrLine, type CommandRunner } from "../run-command.js";
import type { HostFiles } from "./host-files.js";

/** The Postfix parameters detection uses (values as postconf prints them; "" when unset). */
export interface PostfixConfig {
  /** mail_version, e.g. "3.7.11". */
  version: string;
  /** daemon_directory: where master, smtp, smtpd, qmgr, pickup… live. */
  daemonDirectory: string;
  /** queue_directory, e.g. /var/spool/postfix. */
  queueDirectory: string;
  /** maillog_file (Postfix ≥ 3.4 postlogd logging without syslog); "" when logging goes to syslog. */
  maillogFile: string;
  /** command_directory: postfix, postqueue, postdrop… */
  commandDirectory: string;
  /** sendmail_path: the sendmail-compatible submission command. */
  sendmailPath: string;
}

/** Parameters queried, in this order. */
export const POSTCONF_PARAMETERS = [
  "mail_version",
  "daemon_directory",
  "queue_directory",
  "maillog_file",
  "command_directory",
  "sendmail_path",
] as const;

/** Where postconf is looked for, first found wins. */
export const POSTCONF_CANDIDATES = ["/usr/sbin/postconf", "/usr/local/sbin/postconf", "/sbin/postconf"] as const;

/**
 * Parses `postconf name…` output ("name = value" per line) into a map.
 * We ask without -h on purpose: an older Postfix that lacks a parameter
 * (maillog_file before 3.4) only warns on stderr and skips it, which would
 * shift -h's bare values onto the wrong names.
 */
export function parsePostconfOutput(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z0-9_]+) =(?: (.*))?$/.exec(line.trimEnd());
    if (match?.[1] !== undefined) values.set(match[1], match[2] ?? "");
  }
  return values;
}

/** Runs postconf and returns Postfix's layout, or null (with the reason in evidence) when postconf is absent or fails. */
export async function readPostfixConfig(
  files: HostFiles,
  run: CommandRunner,
  timeoutMs: number,
  evidence: string[],
): Promise<PostfixConfig | null> {
  let postconf: string | undefined;
  for (const candidate of POSTCONF_CANDIDATES) {
    if (await files.isExecutable(candidate)) {
      postconf = candidate;
      break;
    }
  }
  if (postconf === undefined) {
    evidence.push("postconf not found; Postfix layout assumed from defaults");
    return null;
  }
  try {
    const output = await run(files.local(postconf), POSTCONF_PARAMETERS, { timeoutMs });
    if (output.code !== 0) {
      evidence.push(`${postconf} failed (exit ${output.code}): ${firstStderrLine(output)}`);
      return null;
    }
    const values = parsePostconfOutput(output.stdout);
    const config: PostfixConfig = {
      version: values.get("mail_version") ?? "",
      daemonDirectory: values.get("daemon_directory") ?? "",
      queueDirectory: values.get("queue_directory") ?? "",
      maillogFile: values.get("maillog_file") ?? "",
      commandDirectory: values.get("command_directory") ?? "",
      sendmailPath: values.get("sendmail_path") ?? "",
    };
    evidence.push(
      `${postconf}: mail_version=${config.version} daemon_directory=${config.daemonDirectory} queue_directory=${config.queueDirectory}` +
        (config.maillogFile === "" ? "" : ` maillog_file=${config.maillogFile}`),
    );
    return config;
  } catch (error) {
    evidence.push(`${postconf} could not run: ${(error as Error).message}`);
    return null;
  }
}
