import { toAuthWindow, toMailWindow } from "../../shared/mta/aggregate/window-messages.js";
import { WindowAggregator } from "../../shared/mta/aggregate/window-aggregator.js";
import { MailLogParser } from "../../shared/mta/parse/mail-log-parser.js";
import type { AuthWindow, MailWindow } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { SshSession } from "../ssh/ssh-session.js";

/** Bytes read from the end of the MTA log: minutes of a busy server's log, bounded. */
const LOG_TAIL_BYTES = 16 * 1024 * 1024;

/** Where the MTA log usually is, by MTA kind (Debian first, then RHEL/cPanel). */
export function defaultLogPaths(mtaKind: string): string[] {
  if (mtaKind === "exim") return ["/var/log/exim4/mainlog", "/var/log/exim_mainlog"];
  return ["/var/log/mail.log", "/var/log/maillog"];
}

/** The per-minute windows of the last minutes of a host's MTA log, and which file they came from. */
export interface RemoteLogWindows {
  path: string;
  lines: number;
  mailWindows: MailWindow[];
  authWindows: AuthWindow[];
}

/**
 * Reads the end of the first MTA log that exists among `paths` (`tail -c`,
 * under `sudo -n` when not root) and turns its last `minutes` into the
 * per-minute windows a probe sends, with the probe's own parsers and
 * aggregation (shared/mta). Undefined when no log could be read.
 */
export async function readRemoteLogWindows(ssh: SshSession, paths: readonly string[], minutes: number, nowMs: number): Promise<RemoteLogWindows | undefined> {
  for (const path of paths) {
    const r = await ssh.run(["tail", "-c", String(LOG_TAIL_BYTES), path]);
    if (r.exitCode !== 0) continue;
    const aggregator = new WindowAggregator();
    const parser = new MailLogParser((event) => aggregator.add(event), { referenceUnixMs: () => nowMs });
    // The first line may be cut by tail -c: drop it unless the file was read whole.
    const lines = r.stdout.split("\n");
    if (r.stdout.length >= LOG_TAIL_BYTES) lines.shift();
    for (const line of lines) if (line !== "") parser.parseLine(line);
    const { identities, auth } = aggregator.drainAll();
    const since = BigInt(Math.floor((nowMs - minutes * 60_000) / 60_000) * 60_000);
    return {
      path,
      lines: lines.length,
      mailWindows: identities.map(toMailWindow).filter((w) => w.windowStartUnixMs >= since),
      authWindows: auth.map(toAuthWindow).filter((w) => w.windowStartUnixMs >= since),
    };
  }
  return undefined;
}
