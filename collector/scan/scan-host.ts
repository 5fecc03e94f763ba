import { readFile } from "node:fs/promises";
import { describeRemoteFailure, SshSession, type SshTarget } from "../ssh/ssh-session.js";
import { parseInspection, type RemoteInspection } from "./inspect-output.js";
import { defaultLogPaths, readRemoteLogWindows, type RemoteLogWindows } from "./read-remote-log.js";
import { scanMta } from "./snapshot-to-batch.js";

/** What reaching one host gave. */
export interface HostScan {
  /** The remote probe's one look: sockets, MTA detection, queue snapshot, host facts. */
  inspection: RemoteInspection;
  /** The last minutes of its MTA log as windows; undefined when no log could be read. */
  log: RemoteLogWindows | undefined;
  durationMs: number;
}

/** Where a host's MTA is when detection cannot find it alone (ssh.hosts.<name>). */
export interface MtaHints {
  /** A Postfix instance's config directory: its commands run with MAIL_CONFIG set to it. */
  postfixConfigDir?: string | undefined;
  /** The Exim binary: the MTA is taken to be Exim, with this binary. */
  eximBinary?: string | undefined;
}

/** What to read besides the sockets. */
export interface HostScanOptions {
  timeoutMs: number;
  /** Minutes of MTA log turned into windows (0: none). */
  logMinutes: number;
  /** Log files to try (default: the log detection found, then the usual ones for the MTA's kind). */
  logPaths?: readonly string[] | undefined;
  mta?: MtaHints;
  /** The probe bundle installed on the host, run in place instead of sending the local one on stdin. */
  remoteProbePath?: string | undefined;
}

/** The remote command: the probe bundle (installed at remoteProbePath, else from stdin), `inspect --json`, with the host's MTA hints as the probe's flags. */
export function inspectArgv(hints: MtaHints = {}, remoteProbePath?: string): string[] {
  const argv = ["node", remoteProbePath ?? "-", "inspect", "--json"];
  if (hints.postfixConfigDir) argv.push("--mta-env", `MAIL_CONFIG=${hints.postfixConfigDir}`);
  if (hints.eximBinary) argv.push("--mta-kind", "exim", "--mta-binary", hints.eximBinary);
  return argv;
}

/**
 * Looks at one host over SSH as its probe would: the probe bundle is sent on
 * stdin to `node - inspect --json` (under `sudo -n` when the login is not
 * root), so nothing is left on the host and the host needs only Node.js ≥ 18
 * (or the bundle installed there, remoteProbePath, is run in place);
 * it prints the SMTP sockets, the MTA's detection and a queue snapshot. Then
 * the last minutes of the MTA log, parsed here by the probe's own parsers
 * (shared/mta). Throws with the reason (host key refused, login refused,
 * sudo refused, node missing, timeout) for the summary.
 */
export async function scanHost(target: SshTarget, bundlePath: string, opts: HostScanOptions): Promise<HostScan> {
  const { timeoutMs } = opts;
  const started = Date.now();
  const bundle = opts.remoteProbePath ? undefined : await readFile(bundlePath, "utf8");
  let session: SshSession | undefined;
  let timer: NodeJS.Timeout | undefined;
  const work = (async () => {
    session = await SshSession.open({ ...target, timeoutMs: Math.min(target.timeoutMs, timeoutMs) });
    const r = await session.run(inspectArgv(opts.mta, opts.remoteProbePath), bundle === undefined ? {} : { stdin: bundle });
    if (r.exitCode !== 0) throw new Error(describeRemoteFailure(r, target.user));
    const inspection = parseInspection(r.stdout);
    const mta = scanMta(inspection);
    const paths = opts.logPaths ?? [...new Set([...mta.logPaths, ...defaultLogPaths(mta.kind)])];
    const log = opts.logMinutes > 0 ? await readRemoteLogWindows(session, paths, opts.logMinutes, Date.now()) : undefined;
    return { inspection, log, durationMs: Date.now() - started };
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
