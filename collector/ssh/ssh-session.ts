import { readFileSync } from "node:fs";
import { NodeSSH } from "node-ssh";
import { HostKeyError, KnownHosts } from "./known-hosts.js";

/** How to reach one host over SSH. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Private key file (OpenSSH format); without it, the agent in agentSocket. */
  privateKeyFile?: string | undefined;
  /** ssh-agent socket (SSH_AUTH_SOCK) when no key file is given. */
  agentSocket?: string | undefined;
  knownHostsFile: string;
  /** Connect + authentication timeout, ms. */
  timeoutMs: number;
}

/** What a remote command did. */
export interface RemoteResult {
  /** The command line sent (with `sudo -n` when the login is not root). */
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Why a remote command failed, for a message: its command line, exit status
 * and last lines of output. When sudo itself refused (no sudoers rule for
 * this login and command, or one that wants a password: `-n` never prompts),
 * it says so and where the rules are documented.
 */
export function describeRemoteFailure(r: RemoteResult, user: string): string {
  const sudoLines = r.command.startsWith("sudo -n ") ? r.stderr.split("\n").filter((line) => line.startsWith("sudo: ")) : [];
  if (sudoLines.length > 0) {
    // Only sudo's own words: the login's other noise (sshd's "Could not chdir to home directory") hides them.
    return `${r.command} exited ${r.exitCode}: ${sudoLines.join(" | ")} — sudo refused to run it for ${user} without a password: allow exactly this command to ${user} with NOPASSWD in sudoers (docs/scan.md, docs/remediate.md)`;
  }
  const said = (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ");
  return `${r.command} exited ${r.exitCode}${said ? `: ${said}` : ""}`;
}

/** Quotes one argument for a POSIX shell (the remote login shell parses the command line). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * An SSH connection (node-ssh over ssh2) whose host key was checked against
 * known_hosts before authentication, key auth only. Commands are argv
 * arrays, quoted here; when the login is not root each one runs under
 * `sudo -n` (never a password prompt: a command sudo does not allow fails).
 */
export class SshSession {
  private constructor(
    private readonly ssh: NodeSSH,
    readonly target: SshTarget,
  ) {}

  static async open(target: SshTarget): Promise<SshSession> {
    const knownHosts = new KnownHosts(target.knownHostsFile);
    let refused: HostKeyError | undefined;
    const ssh = new NodeSSH();
    try {
      await ssh.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        readyTimeout: target.timeoutMs,
        ...(target.privateKeyFile ? { privateKey: readFileSync(target.privateKeyFile, "utf8") } : { agent: target.agentSocket ?? process.env.SSH_AUTH_SOCK }),
        hostVerifier: (key: Buffer): boolean => {
          try {
            knownHosts.verify(target.host, target.port, key);
            return true;
          } catch (error) {
            refused = error as HostKeyError;
            return false;
          }
        },
      });
    } catch (error) {
      ssh.dispose();
      if (refused) throw refused;
      throw new Error(`ssh ${target.user}@${target.host}:${target.port}: ${(error as Error).message}`, { cause: error });
    }
    return new SshSession(ssh, target);
  }

  /** Runs argv on the host (under `sudo -n` unless logged in as root). */
  async run(argv: readonly string[], opts: { stdin?: string; sudo?: boolean } = {}): Promise<RemoteResult> {
    const sudo = (opts.sudo ?? true) && this.target.user !== "root";
    const command = [...(sudo ? ["sudo", "-n", "--"] : []), ...argv].map(shellQuote).join(" ");
    const r = await this.ssh.execCommand(command, opts.stdin === undefined ? {} : { stdin: opts.stdin });
    return { command, exitCode: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  close(): void {
    this.ssh.dispose();
  }
}
