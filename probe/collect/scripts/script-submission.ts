/** One process of a submitting program's ancestry, as /proc showed it at the moment of submission. */
export interface ChainProcess {
  pid: number;
  /** Short name (/proc/PID/comm), or "" when unreadable. */
  comm: string;
  /** Arguments; empty when unreadable. */
  argv: string[];
  /** Working directory, or null. */
  cwd: string | null;
  /** Executable path, or null. */
  exe: string | null;
}

/** Where a script submission was seen. */
export type ScriptSubmissionSource = "maildrop" | "php_mail_log";

/**
 * A message handed to the MTA by a local program, seen at the moment of
 * submission: a new file in Postfix's maildrop (its writer's ancestry read
 * from /proc) or a line of PHP's mail.log. Joined to the MTA's own log line
 * (Postfix pickup) by ScriptAttributor.
 */
export interface ScriptSubmission {
  source: ScriptSubmissionSource;
  /** When it was seen (maildrop: the file's creation; PHP: the mail() call, second resolution), unix ms. */
  tsUnixMs: number;
  /** Submitting uid (maildrop file owner), or null when unknown (PHP's log does not say). */
  uid: number | null;
  /** Full path of the script or program, or null when the ancestry names none (php-fpm, an interactive shell). */
  script: string | null;
  /** Line of the mail() call (PHP), or null. */
  line: number | null;
  /** Envelope sender the program asked for (sendmail -f), or null when it left it to the MTA. */
  sender: string | null;
  /** Recipients the script named (PHP To/Cc/Bcc); empty when unknown. */
  recipients: string[];
  /** Message-ID the script set (PHP headers), or null. */
  messageId: string | null;
  /** Writer first, then its parents (maildrop); empty for PHP. */
  chain: ChainProcess[];
  /** Evidence: the PHP log line, or a one-line rendering of the chain. */
  raw: string;
}
