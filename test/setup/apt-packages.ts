import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A Debian package the tests need and a file that shows it is installed. */
export interface NeededPackage {
  name: string;
  /** Path that exists once the package is installed. */
  marker: string;
}

/**
 * Every Debian package the integration suite uses, installed once by the
 * global setup before any test file runs. Test files and labs only check for
 * them ({@link requireDebianPackages}): two setups running apt at once race
 * for its lock, and one of them fails (seen on a fresh machine).
 */
export const TEST_DEBIAN_PACKAGES: readonly NeededPackage[] = [
  { name: "lsof", marker: "/usr/bin/lsof" },
  { name: "clickhouse-server", marker: "/usr/sbin/clickhouse-server" },
  { name: "clickhouse-client", marker: "/usr/bin/clickhouse-client" },
  { name: "postfix", marker: "/usr/sbin/postfix" },
  { name: "dovecot-core", marker: "/usr/sbin/dovecot" },
  { name: "swaks", marker: "/usr/bin/swaks" },
  { name: "openssh-server", marker: "/usr/sbin/sshd" },
  { name: "ansible", marker: "/usr/bin/ansible-playbook" },
  { name: "sudo", marker: "/usr/bin/sudo" }, // `sudo -n` of spamtrace scan / remediate with a login other than root
  { name: "acl", marker: "/usr/bin/setfacl" }, // the probe role's ACL on RHEL's root-only maillog
  // php-cli: PHP scripts calling mail() through Postfix (test/scripts-postfix-lab.test.ts); 6 packages, 2.8 MB, about 60 s to install.
  { name: "php-cli", marker: "/usr/bin/php" },
  // ZooKeeper 3.8 for the replicated ClickHouse cluster test (test/setup/zookeeper.ts runs its jar; the marker is that package's file).
  { name: "libzookeeper-java", marker: "/usr/share/java/zookeeper.jar" },
  // Builtins Debian 12's Node 18 loads from /usr/share/nodejs (test/setup/node18.ts).
  { name: "node-cjs-module-lexer", marker: "/usr/share/nodejs/cjs-module-lexer/lexer.js" },
  { name: "node-acorn", marker: "/usr/share/nodejs/acorn-walk/dist/walk.js" },
  { name: "node-undici", marker: "/usr/share/nodejs/undici/undici-fetch.js" },
];

/** Debconf answers given before installing: Postfix must not set up or start a default instance. */
const DEBCONF_SELECTIONS = "postfix postfix/main_mailer_type select No configuration\npostfix postfix/mailname string lab.test\n";

/**
 * Debian's way to keep maintainer scripts from starting services: the tests
 * start their own servers on loopback ports; a system clickhouse-server,
 * sshd or dovecot started by the install would stay behind after the run.
 */
const POLICY_RC_D = "/usr/sbin/policy-rc.d";
const POLICY_DENY_ALL = "#!/bin/sh\n# Written by spamtrace's test setup while it installs packages; removed after.\nexit 101\n";

/**
 * Installs missing Debian packages (CI runs as root on a clean machine), in
 * one apt-get run. Throws when a package is missing and cannot be installed:
 * tests needing a real service must fail, never skip quietly.
 */
export async function ensureDebianPackages(packages: readonly NeededPackage[]): Promise<void> {
  const missing = packages.filter((p) => !existsSync(p.marker));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name);
  if (process.getuid?.() !== 0) {
    throw new Error(`test setup: Debian packages ${names.join(", ")} are missing and installing them needs root (apt-get install -y ${names.join(" ")})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const opts = { env, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 };
  // Waits for another apt/dpkg (an unattended upgrade, a developer's shell) instead of failing on its lock.
  const aptOpts = ["-o", "DPkg::Lock::Timeout=600", "-o", "Acquire::Retries=3"];
  const ownPolicy = !existsSync(POLICY_RC_D);
  try {
    if (ownPolicy) await writeFile(POLICY_RC_D, POLICY_DENY_ALL, { mode: 0o755 });
    if (names.includes("postfix")) await setDebconf(env);
    await run("apt-get", [...aptOpts, "update", "-q"], opts);
    await run("apt-get", [...aptOpts, "install", "-y", "-q", "--no-install-recommends", ...names], opts);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`test setup: apt-get install ${names.join(" ")} failed: ${e.stderr?.slice(-2000) ?? e.message}`);
  } finally {
    if (ownPolicy) await rm(POLICY_RC_D, { force: true });
  }
  const still = missing.filter((p) => !existsSync(p.marker));
  if (still.length > 0) throw new Error(`test setup: after apt-get install, still missing ${still.map((p) => p.marker).join(", ")}`);
}

async function setDebconf(env: NodeJS.ProcessEnv): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile("debconf-set-selections", [], { env }, (error) => (error ? reject(error) : resolve()));
    child.stdin?.end(DEBCONF_SELECTIONS);
  });
}

/**
 * Checks that packages the global setup installs are there; a lab calls this
 * instead of installing, so no two setups ever run apt at the same time.
 */
export function requireDebianPackages(packages: readonly NeededPackage[]): void {
  const missing = packages.filter((p) => !existsSync(p.marker));
  if (missing.length === 0) return;
  throw new Error(
    `test setup: Debian packages ${missing.map((p) => p.name).join(", ")} are missing; the integration suite's global setup ` +
      `(test/setup/global-setup.ts) installs them — run the tests through vitest's integration project, as root`,
  );
}

/** The entries of {@link TEST_DEBIAN_PACKAGES} with these names (a typo is an error). */
export function testPackages(...names: string[]): NeededPackage[] {
  return names.map((name) => {
    const found = TEST_DEBIAN_PACKAGES.find((p) => p.name === name);
    if (found === undefined) throw new Error(`test setup: ${name} is not in TEST_DEBIAN_PACKAGES`);
    return found;
  });
}
