import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

/** Default SSH connect + authentication timeout, ms. */
export const DEFAULT_SSH_TIMEOUT_MS = 20_000;

const hostOverride = z.strictObject({
  /** Address or name to connect to (default: the host's hostname from its Hello). */
  address: z.string().min(1).optional(),
  /** SSH port (default ssh.port). */
  port: z.number().int().min(1).max(65535).optional(),
  /** Login (default ssh.user). */
  user: z.string().min(1).optional(),
  /** known_hosts for this host (default ssh.knownHostsFile). */
  knownHostsFile: z.string().min(1).optional(),
  /** Postfix instance's config directory, for `postqueue -c` / `postsuper -c` (a second instance). */
  postfixConfigDir: z.string().startsWith("/").optional(),
  /** MTA log files `spamtrace scan` reads (default: /var/log/mail.log or /var/log/maillog; Exim's mainlog). */
  mtaLogPaths: z.array(z.string().startsWith("/")).min(1).optional(),
  /** Exim binary (default `exim`; Debian's is also reachable as `exim`, cPanel's is /usr/sbin/exim). */
  eximBinary: z.string().startsWith("/").optional(),
  /** The probe bundle installed on this host, run by `spamtrace scan` instead of sending it (default ssh.probePath). */
  probePath: z.string().startsWith("/").optional(),
});

/** The `ssh` section: how spamtrace reaches hosts (`spamtrace remediate`, `spamtrace scan`). */
export const sshConfigSchema = z.strictObject({
  /** Login; not root: every command runs under `sudo -n` (allow exactly the commands of docs/remediate.md in sudoers). */
  user: z.string().min(1).default("root"),
  port: z.number().int().min(1).max(65535).default(22),
  /** Private key file (OpenSSH format, no passphrase); absent: the ssh-agent of SSH_AUTH_SOCK. */
  privateKeyFile: z.string().min(1).optional(),
  /** known_hosts the host keys are checked against; a host not in it is refused (no trust on first use). */
  knownHostsFile: z.string().min(1).default(join(homedir(), ".ssh", "known_hosts")),
  /** Connect + authentication timeout per host, ms. */
  timeoutMs: z.number().int().min(1000).max(300_000).default(DEFAULT_SSH_TIMEOUT_MS),
  /**
   * The probe bundle already installed on the hosts (root-owned, e.g. the
   * probe package's /opt/spamtrace/probe/spamtrace-probe.cjs): `spamtrace scan` runs
   * `node PATH inspect --json` instead of sending the bundle on stdin to
   * `node -`. With a login other than root, sudoers can then pin that file;
   * allowing `node -` would let the login run any script as root.
   */
  probePath: z.string().startsWith("/").optional(),
  /** Per host id: address, port, login and the MTA's command paths. */
  hosts: z.record(z.string().min(1), hostOverride).default({}),
});

/** Validated `ssh` configuration. */
export type SshConfig = z.output<typeof sshConfigSchema>;
