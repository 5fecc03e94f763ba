import type { HostFiles } from "./host-files.js";
import type { KnownMtaKind } from "../../../shared/mta/mta-kinds.js";
import type { MtaFlavour } from "./mta-detection.js";

/** Syslog's usual mail log files (Debian, RHEL). */
export const GENERIC_MAIL_LOGS = ["/var/log/mail.log", "/var/log/maillog"] as const;

/** Per-MTA log files that exist on some distribution or panel, in order of preference. */
export const MTA_LOG_CANDIDATES: Readonly<Record<KnownMtaKind, readonly string[]>> = {
  postfix: ["/usr/local/psa/var/log/maillog"],
  exim: ["/var/log/exim4/mainlog", "/var/log/exim/main.log", "/var/log/exim/mainlog", "/var/log/exim_mainlog"],
  sendmail: [],
  // qmail usually logs through daemontools' multilog; its "current" file is rotated to @<tai64n>.s names.
  qmail: ["/var/log/qmail/current", "/var/log/qmail/qmail-send/current", "/usr/local/psa/var/log/maillog"],
  opensmtpd: [],
};

/**
 * File destinations of rsyslog/syslogd rules that select the mail facility
 * ("mail.*  -/var/log/mail.log", "mail.info;mail.warn /var/log/x"), in file order.
 * Rules excluding mail ("mail.none") and non-file actions are skipped.
 */
export function parseSyslogMailDestinations(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("$")) continue;
    const match = /^(\S+)\s+-?(\/\S+)$/.exec(line);
    if (match === null) continue;
    const selectors = (match[1] ?? "").split(";");
    const selectsMail = selectors.some((selector) => {
      const [facilities = "", priority = ""] = selector.split(".");
      return facilities.split(",").includes("mail") && priority !== "none";
    });
    if (selectsMail) out.push(match[2] ?? "");
  }
  return out;
}

/** Options for findMtaLogPaths. */
export interface FindMtaLogPathsOptions {
  /** MTA detected. */
  kind: KnownMtaKind;
  /** Panel or packaging. */
  flavour: MtaFlavour | undefined;
  /** Paths the MTA's own configuration names (Postfix maillog_file, Exim log_file_path): listed even if not created yet. */
  configured: readonly string[];
}

/**
 * The MTA's log files: configured paths first, then the MTA's usual files,
 * then syslog's mail destinations; all but configured ones only when they
 * exist. Exim writes its own logs, so syslog's mail files come last there.
 */
export async function findMtaLogPaths(files: HostFiles, options: FindMtaLogPathsOptions, evidence: string[]): Promise<string[]> {
  const syslogConfigs = ["/etc/rsyslog.conf", "/etc/syslog.conf", ...(await files.list("/etc/rsyslog.d")).filter((name) => name.endsWith(".conf")).map((name) => `/etc/rsyslog.d/${name}`)];
  const fromSyslog: string[] = [];
  for (const config of syslogConfigs) {
    const text = await files.readText(config);
    if (text !== null) fromSyslog.push(...parseSyslogMailDestinations(text));
  }
  const candidates = [...MTA_LOG_CANDIDATES[options.kind], ...fromSyslog, ...GENERIC_MAIL_LOGS];
  const found: string[] = [...options.configured];
  for (const candidate of candidates) {
    if (found.includes(candidate)) continue;
    if (candidate.startsWith("/usr/local/psa/") && options.flavour !== "plesk") continue;
    if (await files.exists(candidate)) found.push(candidate);
  }
  if (found.length > 0) evidence.push(`log files: ${found.join(", ")}`);
  else evidence.push("no mail log file found");
  return found;
}
