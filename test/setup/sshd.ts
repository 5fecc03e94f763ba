import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";

const run = promisify(execFile);

/** Debian's sshd; it refuses to start from a relative path (it re-executes itself). */
export const SSHD_BINARY = "/usr/sbin/sshd";

/** An sshd of the test's own on a loopback port, with everything a client needs to log in without trusting blindly. */
export interface TestSshd {
  host: "127.0.0.1";
  port: number;
  /** Account the client key may log in as. */
  user: string;
  /** Folder holding the host key, client key, known_hosts, config and log (mode 0700, removed by stop()). */
  dir: string;
  /** Private key of the client (ed25519, no passphrase). */
  clientKeyFile: string;
  /** known_hosts with this sshd's host key under `[127.0.0.1]:port`. */
  knownHostsFile: string;
  /** ssh client options that pin the key and host key: StrictHostKeyChecking=yes, this known_hosts only, this identity only. */
  clientOptions: string[];
  /** What sshd logged so far (-e: its log goes to stderr). */
  log(): string;
  stop(): Promise<void>;
}

/** Options for {@link startTestSshd}. */
export interface TestSshdOptions {
  /** Account to log in as (default root: PermitRootLogin prohibit-password allows key login). */
  user?: string;
  /** Other accounts the same client key may log in as (e.g. a sudo login beside root). */
  moreUsers?: readonly string[];
  /**
   * Parent of the sshd's folder. Not /tmp: with StrictModes sshd refuses an
   * AuthorizedKeysFile whose path crosses a world-writable directory.
   */
  parentDir?: string;
}

/**
 * Starts Debian's openssh-server in the foreground (`-D -e`) with a config
 * file of its own (`-f`): loopback only, a fresh host key, key
 * authentication only, an authorized_keys file in its own folder. Writes
 * the known_hosts a client needs, so nothing is accepted on first sight.
 */
export async function startTestSshd(opts: TestSshdOptions = {}): Promise<TestSshd> {
  const user = opts.user ?? "root";
  const parent = opts.parentDir ?? "/run";
  const dir = await mkdtemp(join(parent, "spamtrace-sshd-"));
  try {
    return await startInDir(dir, user, opts.moreUsers ?? []);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startInDir(dir: string, user: string, moreUsers: readonly string[]): Promise<TestSshd> {
  const users = [user, ...moreUsers];
  // sshd reads authorized_keys as the logging-in account: a non-root one needs to reach it (StrictModes: root-owned, not writable by others).
  const readable = users.some((u) => u !== "root");
  await chmod(dir, readable ? 0o755 : 0o700);
  // sshd's privilege separation directory; Debian creates it from its own unit, which is not run here.
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKey = join(dir, "ssh_host_ed25519_key");
  const clientKeyFile = join(dir, "client_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "spamtrace-test-host", "-f", hostKey]);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "spamtrace-test-client", "-f", clientKeyFile]);
  const authorizedKeys = join(dir, "authorized_keys");
  await writeFile(authorizedKeys, await readFile(`${clientKeyFile}.pub`), { mode: readable ? 0o644 : 0o600 });

  const port = await freePort();
  const configFile = join(dir, "sshd_config");
  await writeFile(
    configFile,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `AllowUsers ${users.join(" ")}`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      // Without PAM, sshd refuses key logins to accounts whose password is locked ("!"): see ensureKeyLoginAllowed.
      "UsePAM no",
      "StrictModes yes",
      "LogLevel VERBOSE",
      // Ansible copies modules with sftp by default.
      "Subsystem sftp /usr/lib/openssh/sftp-server",
      "",
    ].join("\n"),
  );
  for (const u of users) await ensureKeyLoginAllowed(u);

  const hostPub = (await readFile(`${hostKey}.pub`, "utf8")).trim().split(/\s+/).slice(0, 2).join(" ");
  const knownHostsFile = join(dir, "known_hosts");
  await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${hostPub}\n`, { mode: 0o600 });

  const child: ChildProcess = spawn(SSHD_BINARY, ["-D", "-e", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let text = "";
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sshd did not listen on 127.0.0.1:${port} within 10 s:\n${text}`));
    }, 10_000);
    const check = (): void => {
      if (/Server listening on 127\.0\.0\.1 port/.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited (${code}) before listening:\n${text}`));
    });
  });

  return {
    host: "127.0.0.1",
    port,
    user,
    dir,
    clientKeyFile,
    knownHostsFile,
    clientOptions: [
      "-o", "StrictHostKeyChecking=yes",
      "-o", `UserKnownHostsFile=${knownHostsFile}`,
      "-o", "GlobalKnownHostsFile=/dev/null",
      "-o", "IdentitiesOnly=yes",
      "-o", `IdentityFile=${clientKeyFile}`,
      "-o", "PasswordAuthentication=no",
      "-o", "BatchMode=yes",
    ],
    log: () => text,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh `useradd` account has "!" as its password and sshd without PAM
 * treats it as locked, refusing even key logins; "*" means "no password"
 * without the lock. Root on these machines already has "*".
 */
async function ensureKeyLoginAllowed(user: string): Promise<void> {
  const shadow = await readFile("/etc/shadow", "utf8");
  const field = shadow.split("\n").find((line) => line.startsWith(`${user}:`))?.split(":")[1];
  if (field === undefined) throw new Error(`test sshd: no account ${user} in /etc/shadow`);
  if (field.startsWith("!")) await run("usermod", ["-p", "*", user]);
}

/** Runs one command over the test sshd with the pinned host key; resolves with stdout. */
export async function sshRun(sshd: TestSshd, command: string): Promise<string> {
  const { stdout } = await run("ssh", [...sshd.clientOptions, "-p", String(sshd.port), `${sshd.user}@${sshd.host}`, command]);
  return stdout;
}
