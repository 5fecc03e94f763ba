import { create } from "@bufbuild/protobuf";
import { isIP } from "node:net";
import { BatchSchema, HelloSchema, LogReadStatsSchema, type AuthWindow, type MailWindow, SocketSnapshotSchema, SocketSource, type Batch, type Hello } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { SocketRecord } from "../../shared/types/socket-record.js";
import { toSocketMessage } from "../../shared/types/socket-message.js";
import { toMtaInfo, toQueueSnapshot, type MtaSummary } from "../../shared/types/mta-message.js";
import type { RemoteInspection, SnapshotSocket } from "./inspect-output.js";
import { SPAMTRACE_VERSION } from "../../shared/version.js";

export type { SnapshotSocket } from "./inspect-output.js";

/** probe_version of hosts rows written by a scan: how an analyst tells a scanned host from a probed one. */
export const SCAN_PROBE_VERSION = `spamtrace-scan ${SPAMTRACE_VERSION}`;

// Directories shared by unrelated programs: a listener there says nothing about its neighbours.
const GENERIC_BIN_DIRS = new Set(["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]);

/**
 * The MTA as far as one socket table shows it (a scan runs no MTA detection):
 * the executables listening on an SMTP port, and the outbound senders that
 * live in the same private directory as one of them (Postfix's smtp(8) beside
 * master in /usr/lib/postfix/sbin; Exim delivers with its own daemon's
 * binary). Without this every delivery of a scanned mail server would look
 * like a direct-to-MX process.
 */
export function inferMta(sockets: readonly SnapshotSocket[]): { kind: string; binaryPaths: string[] } {
  const dir = (p: string): string => p.slice(0, p.lastIndexOf("/")) || "/";
  const listeners = [...new Set(sockets.filter((s) => s.direction === "listen" && s.exe).map((s) => s.exe!))];
  const privateDirs = new Set(listeners.map(dir).filter((d) => !GENERIC_BIN_DIRS.has(d)));
  const senders = sockets.filter((s) => s.direction === "outbound" && s.exe && privateDirs.has(dir(s.exe))).map((s) => s.exe!);
  const binaryPaths = [...new Set([...listeners, ...senders])].sort();
  const kind = binaryPaths.some((p) => p.includes("/postfix/")) ? "postfix" : binaryPaths.some((p) => /\/exim4?$/.test(p)) ? "exim" : "";
  return { kind, binaryPaths };
}

/**
 * The host's MTA as the scan stores it: the remote probe's detection, with
 * the executables the socket table shows as the MTA's added (the rules tell
 * the MTA's own deliveries from direct-to-MX ones by these paths); when
 * detection found no MTA (none, unknown), the kind the sockets show.
 */
export function scanMta(inspection: Pick<RemoteInspection, "mta" | "sockets">): MtaSummary {
  const detected = inspection.mta;
  const inferred = inferMta(inspection.sockets);
  const kind = (detected.kind === "none" || detected.kind === "unknown") && inferred.kind !== "" ? inferred.kind : detected.kind;
  return { ...detected, kind, binaryPaths: [...new Set([...detected.binaryPaths, ...inferred.binaryPaths])].sort() };
}

/** The Hello of a scanned host: its inventory name as host id, marked as a scan, with its MTA and addresses. */
export function scanHello(name: string, scannedAtMs: number, inspection: Pick<RemoteInspection, "mta" | "sockets" | "host">): Hello {
  const { host } = inspection;
  return create(HelloSchema, {
    hostId: name,
    hostname: name,
    // Untrusted: only what parses as an address goes on (the DNSBL checks take hosts' addresses).
    ipAddresses: host.ipAddresses.filter((a) => isIP(a) !== 0),
    os: host.os,
    kernel: host.kernel,
    probeVersion: SCAN_PROBE_VERSION,
    // One stream per scan: a new epoch each time, so batches of two scans never collide.
    streamEpoch: BigInt(scannedAtMs),
    mta: toMtaInfo(scanMta(inspection)),
  });
}

/**
 * The remote probe's socket table and queue snapshot (and the log's windows)
 * as the Batch a probe would have sent, converted by the probe's own wire
 * conversions. Everything is stamped with the scanner's clock, so a scanned
 * host whose clock is off still lands in the rules' lookback.
 */
export function snapshotBatch(name: string, scannedAtMs: number, inspection: Pick<RemoteInspection, "sockets" | "queue">, log?: { path: string; lines: number; mailWindows: MailWindow[]; authWindows: AuthWindow[] }): Batch {
  const { sockets, queue } = inspection;
  return create(BatchSchema, {
    hostId: name,
    streamEpoch: BigInt(scannedAtMs),
    seq: 1n,
    createdAtUnixMs: BigInt(scannedAtMs),
    queueSnapshots: queue ? [toQueueSnapshot({ ...queue, observedAtUnixMs: scannedAtMs })] : [],
    mailWindows: log?.mailWindows ?? [],
    authWindows: log?.authWindows ?? [],
    logStats: log ? [create(LogReadStatsSchema, { path: log.path, lines: BigInt(log.lines), recognised: 0n, unrecognised: 0n, rotations: 0 })] : [],
    socketSnapshots: [
      create(SocketSnapshotSchema, {
        observedAtUnixMs: BigInt(scannedAtMs),
        startedAtUnixMs: BigInt(scannedAtMs),
        source: SocketSource.PROC,
        samples: 1,
        sockets: sockets.map((s) => toSocketMessage(asSocketRecord(s), scannedAtMs, scannedAtMs)),
      }),
    ],
  });
}

/**
 * A socket of the remote probe's `snapshot --json` (untrusted JSON from the
 * scanned host) as a SocketRecord, missing fields at their "unknown" value; an
 * unknown direction stays unknown on the wire (UNSPECIFIED).
 */
function asSocketRecord(s: SnapshotSocket): SocketRecord {
  return {
    proto: s.proto === "tcp6" ? "tcp6" : "tcp",
    state: s.state,
    direction: s.direction as SocketRecord["direction"],
    local_address: s.local_address,
    local_port: s.local_port,
    remote_address: s.remote_address,
    remote_port: s.remote_port,
    inode: String(s.inode),
    pid: s.pid || null,
    ppid: s.ppid ?? null,
    uid: s.uid ?? null,
    user: s.user ?? null,
    comm: s.comm ?? null,
    argv: s.argv ?? [],
    exe: s.exe ?? null,
    exe_deleted: s.exe_deleted ?? false,
    cwd: s.cwd ?? null,
  };
}
