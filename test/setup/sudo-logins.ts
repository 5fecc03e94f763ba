import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { testPackages, requireDebianPackages } from "./apt-packages.js";
import { acquireMachineLock } from "./machine-lock.js";
import { lookupUser } from "./mta/lab-common.js";

const run = promisify(execFile);

/** Two non-root logins for `sudo -n` tests: one a sudoers drop-in allows exact commands, one nothing. */
export interface SudoLogins {
  /** Login whose commands in the drop-in run as root without a password. */
  allowed: string;
  /** Login with no sudoers rule: every `sudo -n` fails at once (no prompt). */
  refused: string;
  /** The drop-in file (mode 0440, checked by visudo). */
  sudoersFile: string;
  /** Removes the drop-in and the logins, then releases the machine lock. */
  remove(): Promise<void>;
}

const ALLOWED = "spamtrace-sudo";
const REFUSED = "spamtrace-nosudo";
const SUDOERS_FILE = "/etc/sudoers.d/spamtrace-test-sudo";

/**
 * Creates the logins (system accounts with /bin/sh, no home) and a sudoers
 * drop-in granting `allowed` exactly `commands` (sudoers Cmnd syntax: a full
 * path and its arguments, `*` a wildcard) with NOPASSWD. Holds a machine
 * lock while they exist: test runs from several checkouts use the same names.
 */
export async function createSudoLogins(commands: readonly string[]): Promise<SudoLogins> {
  requireDebianPackages(testPackages("sudo"));
  const release = await acquireMachineLock("sudo-logins", 600_000);
  const created: string[] = [];
  const remove = async (): Promise<void> => {
    try {
      await rm(SUDOERS_FILE, { force: true });
      for (const name of created) await run("userdel", [name]).catch(() => undefined);
    } finally {
      await release();
    }
  };
  try {
    for (const name of [ALLOWED, REFUSED]) {
      // A crashed run may have left one: it is ours (same name, same lock), removed at the end like a new one.
      if (!(await lookupUser(name))) await run("useradd", ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh", name]);
      created.push(name);
    }
    const body = `# Written by spamtrace's tests (test/setup/sudo-logins.ts); removed after the run.\n${ALLOWED} ALL=(root) NOPASSWD: ${commands.map(escapeCommand).join(", \\\n  ")}\n`;
    await writeFile(SUDOERS_FILE, body, { mode: 0o440 });
    // A broken drop-in breaks every sudo on the machine: check it, as visudo would.
    await run("visudo", ["-c", "-q", "-f", SUDOERS_FILE]).catch(async (error: { stderr?: string; stdout?: string }) => {
      throw new Error(`sudoers drop-in refused by visudo: ${error.stderr || error.stdout}\n${body}`);
    });
    return { allowed: ALLOWED, refused: REFUSED, sudoersFile: SUDOERS_FILE, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Characters sudoers gives a meaning inside a command's arguments are escaped (`,` `:` `=` `\`). */
function escapeCommand(command: string): string {
  return command.replace(/([\\,:=])/g, "\\$1");
}
