// What the Ansible rollout test checks on the host it installs to: the roles'
// install paths under a test root, users, files, and log lines to count, and the installed collector's /api/sql.
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The client address of the rejection lines the test writes. */
export const SPAM_IP = "192.0.2.177";

/** A Postfix rejection line the probe counts once per line (identity client_ip SPAM_IP). */
export function rejectLine(i: number): string {
  const t = new Date();
  const stamp = `${t.toLocaleString("en-US", { month: "short", timeZone: "UTC" })} ${String(t.getUTCDate()).padStart(2, " ")} ${t.toISOString().slice(11, 19)}`;
  return `${stamp} mx1 postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[${SPAM_IP}]: 554 5.7.1 <r${i}@example.com>: Relay access denied; from=<s@example.org> to=<r${i}@example.com> proto=ESMTP helo=<x>\n`;
}

export async function userExists(name: string): Promise<boolean> {
  return run("getent", ["passwd", name]).then(
    () => true,
    () => false,
  );
}

/** `stat` as "owner:group mode type" (e.g. "root:spamtrace-probe 640 regular file"). */
export async function describePath(path: string): Promise<string> {
  return (await run("stat", ["-c", "%U:%G %a %F", path])).stdout.trim();
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Where the spamtrace_probe role installs under a test root. */
export function probeInstallPaths(root: string) {
  return {
    unit: join(root, "etc/systemd/system/spamtrace-probe.service"),
    bundle: join(root, "opt/spamtrace/probe/spamtrace-probe.cjs"),
    config: join(root, "etc/spamtrace/probe.yaml"),
    certs: join(root, "etc/spamtrace/probe-certs"),
    state: join(root, "var/lib/spamtrace-probe"),
    spool: join(root, "var/lib/spamtrace-probe/spool"),
    cache: join(root, "var/cache/spamtrace-probe"),
  };
}

/** Where the spamtrace_collector role installs under a test root. */
export function collectorInstallPaths(root: string) {
  return {
    unit: join(root, "etc/systemd/system/spamtrace-collector.service"),
    link: join(root, "opt/spamtrace/collector"),
    config: join(root, "etc/spamtrace/collector.yaml"),
    certs: join(root, "etc/spamtrace/collector-certs"),
    state: join(root, "var/lib/spamtrace-collector"),
    cache: join(root, "var/cache/spamtrace-collector"),
  };
}

/** Runs a read-only query through an installed collector's admin endpoint (/api/sql, bearer token from its file). */
export async function adminSql<T>(adminPort: number, tokenFile: string, query: string): Promise<T[]> {
  const token = (await readFile(tokenFile, "utf8")).trim();
  const response = await fetch(`http://127.0.0.1:${adminPort}/api/sql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  if (!response.ok) throw new Error(`/api/sql ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { rows: T[] }).rows;
}
