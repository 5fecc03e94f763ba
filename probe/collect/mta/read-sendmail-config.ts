/** What sendmail.cf says about the installed Sendmail. */
export interface SendmailConfig {
  /** Version from the DZ macro line ("8.17.1"); "" when absent. */
  version: string;
  /** O QueueDirectory=…; Sendmail's default when absent. */
  queueDirectory: string;
}

/** Where sendmail.cf lives (Linux packages and BSD). */
export const SENDMAIL_CF_PATH = "/etc/mail/sendmail.cf";
/** Sendmail's compiled-in queue directory. */
export const SENDMAIL_DEFAULT_QUEUE = "/var/spool/mqueue";

/**
 * Reads the version and queue directory from sendmail.cf text. The version
 * comes from the file rather than from running sendmail: `sendmail -d0.1`
 * needs an address to test or stdin to read, and may do DNS lookups.
 */
export function parseSendmailCf(text: string): SendmailConfig {
  return {
    version: /^DZ(\S+)/m.exec(text)?.[1] ?? "",
    queueDirectory: /^O QueueDirectory=(\S+)/m.exec(text)?.[1] ?? SENDMAIL_DEFAULT_QUEUE,
  };
}
