import { create } from "@bufbuild/protobuf";
import { BatchSchema, HelloSchema, LogReadStatsSchema, type AuthWindow, type MailWindow, MtaInfoSchema, SocketSnapshotSchema, SocketSource, type Batch, type Hello } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { SocketRecord } from "../../shared/types/socket-record.js";
import { toSocketMessage } from "../../shared/types/socket-message.js";
import { SPAMTRACE_VERSION } from "../../shared/version.js";

/** One socket of `spamtrace-probe snapshot --once --json` (README: a stable output). */
export interface SnapshotSocket {
  proto: string;
  state: string;
  direction: "listen" | "inbound" | "outbound" | string;
  local_address: string;
  local_port: number;
  remote_address: string;
  remote_port: number;
  inode: number | string;
  pid?: number | null;
  ppid?: number | null;
  uid?: number | null;
  user?: string | null;
  comm?: string | null;
  argv?: string[] | null;
  exe?: string | null;
  exe_deleted?: boolean | null;
  cwd?: string | null;
}

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

/** The Hello of a scanned host: its inventory name as host id, marked as a scan, with the MTA its sockets show. */
export function scanHello(name: string, scannedAtMs: number, sockets: readonly SnapshotSocket[] = []): Hello {
  const mta = inferMta(sockets);
  return create(HelloSchema, {
    hostId: name,
    hostname: name,
    probeVersion: SCAN_PROBE_VERSION,
    // One stream per scan: a new epoch each time, so batches of two scans never collide.
    streamEpoch: BigInt(scannedAtMs),
    mta: create(MtaInfoSchema, { kind: mta.kind, binaryPaths: mta.binaryPaths }),
  });
}

/** The probe's one-shot socket table (and the log's windows) as the Batch a probe would have sent. */
export function snapshotBatch(name: string, scannedAtMs: number, sockets: readonly SnapshotSocket[], log?: { path: string; lines: number; mailWindows: MailWindow[]; authWindows: AuthWindow[] }): Batch {
  return create(BatchSchema, {
    hostId: name,
    streamEpoch: BigInt(scannedAtMs),
    seq: 1n,
    createdAtUnixMs: BigInt(scannedAtMs),
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
