import { isKnownMtaKind } from "../../shared/mta/mta-kinds.js";
import type { QueueSnapshot } from "../../shared/types/queue-snapshot.js";
import type { SocketRecord, SocketSource } from "../../shared/types/socket-record.js";
import { SPAMTRACE_VERSION } from "../../shared/version.js";
import type { ProbeConfig } from "../config/probe-config.js";
import { readHostInfo, type HostInfo } from "../collect/host/read-host-info.js";
import type { MtaDetection } from "../collect/mta/mta-detection.js";
import { resolveMta } from "../collect/mta/resolve-mta.js";
import { readQueueSnapshot } from "../collect/queue/read-queue-snapshot.js";
import { runCommand, withCommandEnv } from "../collect/run-command.js";
import { openSocketSource } from "../collect/sockets/open-socket-source.js";

/** What `spamtrace-probe inspect` looks at (the `mta` keys mean what they mean in the probe's config). */
export interface InspectOptions {
  source: SocketSource;
  ports: number[];
  mta: Pick<ProbeConfig["mta"], "kind" | "binaryPaths" | "commandEnv">;
}

/**
 * `spamtrace-probe inspect --json`: one look at the host, as the running
 * probe would take it — the SMTP sockets, the MTA's detection and one queue
 * snapshot. A stable output: `spamtrace scan` runs it over SSH and converts
 * it with the probe's own wire conversions.
 */
export interface HostInspection {
  probeVersion: string;
  /** The host's own facts, as the probe's Hello gives them (the scan names the host by its inventory name). */
  host: Omit<HostInfo, "hostId">;
  /** SMTP sockets, as `snapshot --json` prints them. */
  sockets: SocketRecord[];
  /** The MTA with mta.kind / mta.binaryPaths applied, and why detection thinks so. */
  mta: MtaDetection;
  /** Detection settings that could not be honoured. */
  warnings: string[];
  /** One queue snapshot; null when the MTA has no queue reader or the queue could not be read. */
  queue: QueueSnapshot | null;
  /** Why the queue could not be read ("" when it was, or the MTA has no queue reader). */
  queueError: string;
}

/** Takes one inspection of this host (never throws for a queue that cannot be read: queueError says why). */
export async function inspectHost(opts: InspectOptions): Promise<HostInspection> {
  const run = withCommandEnv(runCommand, opts.mta.commandEnv);
  const [sockets, resolved] = await Promise.all([openSocketSource(opts.source, opts.ports)(), resolveMta({ ...opts.mta, logPaths: undefined, queuePath: undefined }, run)]);
  // As in the probe: the log it would follow is the first detected (existing ones come first).
  const { mta, warnings } = resolved;
  let queue: QueueSnapshot | null = null;
  let queueError = "";
  if (isKnownMtaKind(mta.kind)) {
    try {
      queue = await readQueueSnapshot(mta, run);
    } catch (error) {
      queueError = (error as Error).message;
    }
  }
  const { hostId: _hostId, ...host } = readHostInfo(undefined);
  return { probeVersion: SPAMTRACE_VERSION, host, sockets, mta, warnings, queue, queueError };
}

/** The inspection for a person: the MTA, where its pieces are, the queue. */
export function formatInspection(i: HostInspection): string {
  const q = i.queue;
  const lines = [
    `host:    ${i.host.hostname} ${i.host.ipAddresses.join(" ")} (${i.host.os}, kernel ${i.host.kernel})`,
    `MTA:     ${i.mta.kind}${i.mta.version ? ` ${i.mta.version}` : ""}${i.mta.flavour ? ` (${i.mta.flavour})` : ""}`,
    `binaries: ${i.mta.binaryPaths.join(" ") || "-"}`,
    `logs:    ${i.mta.logPaths.join(" ") || "-"}`,
    `queue:   ${i.mta.queuePath || "-"}`,
    q
      ? `queued:  ${q.total} (${Object.entries(q.byQueue).map(([k, n]) => `${k} ${n}`).join(", ") || "empty"}) by ${q.source}; top senders ${q.topSenders.map((s) => `${s.key} ${s.count}`).join(", ") || "-"}`
      : `queued:  ${i.queueError ? `not read: ${i.queueError}` : "no queue reader for this MTA"}`,
    `sockets: ${i.sockets.length} (${i.sockets.filter((s) => s.direction === "outbound").length} outbound)`,
    ...i.warnings.map((w) => `warning: ${w}`),
    "evidence:",
    ...i.mta.evidence.map((e) => `  ${e}`),
  ];
  return `${lines.join("\n")}\n`;
}
