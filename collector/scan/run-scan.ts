import { formatTable } from "../../shared/cli/format-table.js";
import pLimit from "p-limit";
import type { DetectConfig } from "../detect/detect-config.js";
import type { AlertConfig } from "../alert/alert-config.js";
import { startPipeline } from "../pipeline/start-pipeline.js";
import type { SshConfig } from "../ssh/ssh-config.js";
import { BatchWriter } from "../store/batch-writer.js";
import type { ClickHouseStore } from "../store/clickhouse/store.js";
import { InsertBatcher } from "../store/insert-batcher.js";
import type { Finding } from "../vocabulary/finding.js";
import type { InventoryHost } from "./inventory.js";
import { scanHost } from "./scan-host.js";
import type { RemoteInspection } from "./inspect-output.js";
import { scanHello, scanMta, snapshotBatch } from "./snapshot-to-batch.js";

/** One row of the scan summary. */
export interface ScanRow {
  name: string;
  target: string;
  outcome: "reached" | "failed";
  /** Why it failed ("" when reached). */
  reason: string;
  /** The MTA detected there ("postfix 3.7.11"; "-" when not reached). */
  mta: string;
  /** Its queue: total and per queue, or why it could not be read ("-" when not reached or no queue reader). */
  queue: string;
  sockets: number;
  outbound: number;
  /** The MTA log read and the windows stored from it ("-" when none). */
  log: string;
  /** Findings of the rules on this host after the scan ("rule subject"). */
  findings: string[];
  durationMs: number;
}

/** What the scan needs. */
export interface ScanOptions {
  store: ClickHouseStore;
  inventory: readonly InventoryHost[];
  ssh: SshConfig;
  /** The probe bundle sent to each host (dist/spamtrace-probe.cjs). */
  probeBundle: string;
  concurrency: number;
  timeoutMs: number;
  /** Minutes of MTA log read per host (0: none). */
  logMinutes: number;
  collectorId: string;
  detect: DetectConfig;
  alert: AlertConfig;
  /** Called as each host finishes (the progress bar). */
  onHost?: (row: ScanRow, done: number, total: number) => void;
}

/**
 * Scans hosts without a probe: on each (at most `concurrency` at once, each
 * within `timeoutMs`), the probe's socket collection over SSH; stores what it
 * found under the inventory name as the collector stores a probe's batch
 * (hosts row marked probe_version "spamtrace-scan ..."), then runs the
 * detection rules once and attaches their findings to the hosts. A host that
 * fails is reported with the reason; the others go on.
 */
export async function runScan(opts: ScanOptions): Promise<{ rows: ScanRow[]; findings: Finding[] }> {
  const writer = new BatchWriter(opts.store, `scan:${opts.collectorId}`, new InsertBatcher(opts.store, { maxRows: 50_000 }));
  const limit = pLimit(opts.concurrency);
  let done = 0;
  const rows = await Promise.all(
    opts.inventory.map((h) =>
      limit(async (): Promise<ScanRow> => {
        const o = opts.ssh.hosts[h.name] ?? {};
        const target = { host: o.address ?? h.address, port: o.port ?? h.port ?? opts.ssh.port, user: o.user ?? h.user ?? opts.ssh.user, privateKeyFile: opts.ssh.privateKeyFile, knownHostsFile: o.knownHostsFile ?? opts.ssh.knownHostsFile, timeoutMs: opts.ssh.timeoutMs };
        const base = { name: h.name, target: `${target.user}@${target.host}:${target.port}`, findings: [] as string[] };
        const started = Date.now();
        let row: ScanRow;
        try {
          const scan = await scanHost(target, opts.probeBundle, { timeoutMs: opts.timeoutMs, logMinutes: opts.logMinutes, logPaths: o.mtaLogPaths, mta: { postfixConfigDir: o.postfixConfigDir, eximBinary: o.eximBinary }, remoteProbePath: o.probePath ?? opts.ssh.probePath });
          const at = Date.now();
          const { inspection } = scan;
          const cursor = await writer.openStream(scanHello(h.name, at, inspection), "scan");
          await writer.storeBatch(cursor, snapshotBatch(h.name, at, inspection, scan.log));
          const { sockets } = inspection;
          row = { ...base, outcome: "reached", reason: "", mta: describeMta(inspection), queue: describeQueue(inspection), sockets: sockets.length, outbound: sockets.filter((s) => s.direction === "outbound").length, log: scan.log ? `${scan.log.path}: ${scan.log.mailWindows.length} windows` : "-", durationMs: scan.durationMs };
        } catch (error) {
          row = { ...base, outcome: "failed", reason: (error as Error).message, mta: "-", queue: "-", sockets: 0, outbound: 0, log: "-", durationMs: Date.now() - started };
        }
        opts.onHost?.(row, ++done, opts.inventory.length);
        return row;
      }),
    ),
  );
  const pipeline = startPipeline({ store: opts.store, collectorId: opts.collectorId, detect: { ...opts.detect, enabled: false }, alert: opts.alert });
  try {
    const report = await pipeline.runOnce();
    const scanned = new Set(rows.filter((r) => r.outcome === "reached").map((r) => r.name));
    const findings = report.findings.filter((f) => f.hosts.some((h) => scanned.has(h)));
    for (const r of rows) r.findings = findings.filter((f) => f.hosts.includes(r.name)).map((f) => `${f.rule} ${f.subject}`);
    await pipeline.drainNotifications();
    return { rows, findings };
  } finally {
    await pipeline.stop();
  }
}

/** The summary table: reached / failed with the reason / findings, per host. */
export function formatScanSummary(rows: readonly ScanRow[]): string {
  const cells = rows.map((r) => [r.name, r.target, r.outcome, r.mta, String(r.sockets), String(r.outbound), r.queue, r.log, r.findings.join("; ") || "-", r.reason]);
  const reached = rows.filter((r) => r.outcome === "reached").length;
  return formatTable(["host", "target", "outcome", "mta", "sockets", "outbound", "queue", "log", "findings", "reason"], cells) + `${rows.length} hosts: ${reached} reached, ${rows.length - reached} failed, ${rows.reduce((n, r) => n + r.findings.length, 0)} findings\n`;
}

function describeMta(i: RemoteInspection): string {
  const mta = scanMta(i);
  return [mta.kind || "-", mta.version].filter(Boolean).join(" ");
}

function describeQueue(i: RemoteInspection): string {
  if (i.queue) return `${i.queue.total}${i.queue.total > 0 ? ` (${Object.entries(i.queue.byQueue).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ")})` : ""}${i.queue.complete ? "" : " counts only"}`;
  return i.queueError ? `not read: ${i.queueError}` : "-";
}
