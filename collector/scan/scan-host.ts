import { readFile } from "node:fs/promises";
import { SshSession, type SshTarget } from "../ssh/ssh-session.js";
import { defaultLogPaths, readRemoteLogWindows, type RemoteLogWindows } from "./read-remote-log.js";
import { inferMta, type SnapshotSocket } from "./snapshot-to-batch.js";

/** What reaching one host gave. */
export interface HostScan {
  sockets: SnapshotSocket[];
  /** The last minutes of its MTA log as windows; undefined when no log could be read. */
  log: RemoteLogWindows | undefined;
  durationMs: number;
}

/** What to read besides the sockets. */
export interface HostScanOptions {
  timeoutMs: number;
  /** Minutes of MTA log turned into windows (0: none). */
  logMinutes: number;
  /** Log files to try (default: by the MTA the sockets show, Debian then RHEL paths). */
  logPaths?: readonly string[] | undefined;
}

/**
 * Runs the probe's own socket collection on a host over SSH: the probe
 * bundle is sent on stdin to `node - snapshot --once --json` (under `sudo -n`
 * when the login is not root), so nothing is left on the host and the host
 * needs only Node.js ≥ 18. Then the last minutes of the MTA log, parsed
 * here by the probe's own parsers (shared/mta). Throws with the reason (host key refused, login
 * refused, node missing, timeout) for the summary.
 */
export async function scanHost(target: SshTarget, bundlePath: string, opts: HostScanOptions): Promise<HostScan> {
  const { timeoutMs } = opts;
  const started = Date.now();
  const bundle = await readFile(bundlePath, "utf8");
  let session: SshSession | undefined;
  let timer: NodeJS.Timeout | undefined;
  const work = (async () => {
    session = await SshSession.open({ ...target, timeoutMs: Math.min(target.timeoutMs, timeoutMs) });
    const r = await session.run(["node", "-", "snapshot", "--once", "--json"], { stdin: bundle });
    if (r.exitCode !== 0) throw new Error(`${r.command} exited ${r.exitCode}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
    let sockets: SnapshotSocket[];
    try {
      sockets = JSON.parse(r.stdout) as SnapshotSocket[];
    } catch {
      throw new Error(`the probe's snapshot output is not JSON: ${r.stdout.slice(0, 200)}`);
    }
    if (!Array.isArray(sockets)) throw new Error("the probe's snapshot output is not a JSON array");
    const log = opts.logMinutes > 0 ? await readRemoteLogWindows(session, opts.logPaths ?? defaultLogPaths(inferMta(sockets).kind), opts.logMinutes, Date.now()) : undefined;
    return { sockets, log, durationMs: Date.now() - started };
  })();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    session?.close();
    work.catch(() => undefined);
  }
}
