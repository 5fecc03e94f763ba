// Realistic batches for the fleet benchmark and the failover test: what a Postfix host's probe sends
// every interval (a socket snapshot, closed mail and auth windows, log
// counters, a queue snapshot every other batch), and, from the moment it is
// compromised, what a hijacked SASL account looks like (hundreds of messages
// to many domains, logins from many outside networks, outbound port-25 sockets).
import { create } from "@bufbuild/protobuf";
import {
  AuthWindowSchema,
  BatchSchema,
  HelloSchema,
  KeyCountSchema,
  LogReadStatsSchema,
  MailWindowSchema,
  MtaInfoSchema,
  ProcessInfoSchema,
  QueueSnapshotSchema,
  SocketDirection,
  SocketSchema,
  SocketSnapshotSchema,
  SocketSource,
  type Batch,
  type Hello,
  type Socket,
} from "../../shared/gen/spamtrace/v1/ingest_pb.js";

const POSTFIX = ["/usr/lib/postfix/sbin/master", "/usr/lib/postfix/sbin/smtpd", "/usr/lib/postfix/sbin/smtp", "/usr/sbin/sendmail"];
const MINUTE = 60_000;

/** Rows a batch puts in each table (what the benchmark compares with the store). */
export interface BatchRows {
  socket_snapshots: number;
  queue_snapshots: number;
  mail_windows: number;
  auth_windows: number;
  log_read_stats: number;
}

/** The Hello of virtual probe `hostId` (index `i`). */
export function fleetHello(hostId: string, i: number, epoch: bigint): Hello {
  return create(HelloSchema, {
    hostId,
    hostname: `${hostId}.fleet.test`,
    ipAddresses: [hostAddress(i)],
    os: "Debian GNU/Linux 12 (bookworm)",
    kernel: "6.1.0-28-amd64",
    probeVersion: "bench",
    streamEpoch: epoch,
    bootTimeUnixMs: BigInt(Date.now() - 86_400_000),
    mta: create(MtaInfoSchema, { kind: "postfix", version: "3.7.11", binaryPaths: POSTFIX, logPaths: ["/var/log/mail.log"], queuePath: "/var/spool/postfix" }),
  });
}

/** A host's own address (10.x.y.z, unique per index). */
export function hostAddress(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) || 1}`;
}

/** Batch `seq` of host `i`; `compromised` adds the hijacked account's traffic. `bulk` multiplies the sockets (the flooding probe). */
export function fleetBatch(opts: { hostId: string; i: number; epoch: bigint; seq: bigint; nowMs: number; intervalMs: number; compromised: boolean; bulkSockets?: number }): { batch: Batch; rows: BatchRows } {
  const { hostId, i, nowMs } = opts;
  const minute = Math.floor((nowMs - MINUTE) / MINUTE) * MINUTE;
  const sockets: Socket[] = [];
  const normal = opts.bulkSockets ?? 2 + (Number(opts.seq) % 3);
  for (let k = 0; k < normal; k++) sockets.push(socket(i, k, nowMs, k % 2 === 0 ? "inbound" : "outbound", `203.0.${k % 256}.${(k >> 8) % 256 || 9}`, "/usr/lib/postfix/sbin/smtpd"));
  const mailWindows = [
    mailWindow(minute, "sasl_user", `user${i % 97}@${hostId}.example`, { received: 3, delivered: 4, distinctRecipients: 4, distinctRecipientDomains: 2, distinctClientIps: 1, authSuccesses: 3 }),
    mailWindow(minute, "client_ip", `198.51.${i % 200}.${(i >> 8) % 200}`, { received: 5, delivered: 5, distinctRecipients: 5, distinctRecipientDomains: 1, rejected: Number(opts.seq) % 2 }),
    mailWindow(minute, "envelope_sender", `newsletter@${hostId}.example`, { received: 2, delivered: 2, distinctRecipients: 2, distinctRecipientDomains: 2 }),
  ];
  const authWindows = [create(AuthWindowSchema, { windowStartUnixMs: BigInt(minute), windowSeconds: 60, clientIp: `198.51.${i % 200}.7`, username: `user${i % 97}@${hostId}.example`, successes: 3, services: ["submission"] })];
  if (opts.compromised) {
    const victim = `victim@${hostId}.example`;
    for (let k = 0; k < 40; k++) sockets.push(socket(i, 100 + k, nowMs, "outbound", `192.0.${k}.25`, "/usr/lib/postfix/sbin/smtp"));
    mailWindows.push(mailWindow(minute, "sasl_user", victim, { received: 400, delivered: 220, deferred: 90, bounced: 90, distinctRecipients: 380, distinctRecipientDomains: 150, distinctClientIps: 12, authSuccesses: 400 }));
    for (let k = 0; k < 12; k++) {
      authWindows.push(create(AuthWindowSchema, { windowStartUnixMs: BigInt(minute), windowSeconds: 60, clientIp: `${41 + k}.${(i + k) % 250}.3.${k + 2}`, username: victim, successes: 30, services: ["submission"] }));
    }
  }
  const queueSnapshots =
    opts.seq % 2n === 1n
      ? [
          create(QueueSnapshotSchema, {
            observedAtUnixMs: BigInt(nowMs - 5_000),
            mta: "postfix",
            source: "postqueue -j",
            complete: true,
            total: opts.compromised ? 900 : 3,
            byQueue: [create(KeyCountSchema, { key: "active", count: opts.compromised ? 200 : 1 }), create(KeyCountSchema, { key: "deferred", count: opts.compromised ? 700 : 2 })],
            oldestAgeSeconds: 600n,
            recipients: opts.compromised ? 2500 : 4,
            topSenders: [create(KeyCountSchema, { key: opts.compromised ? `victim@${hostId}.example` : `newsletter@${hostId}.example`, count: opts.compromised ? 880 : 2 })],
            topRecipientDomains: [create(KeyCountSchema, { key: "gmail.com", count: 2 })],
          }),
        ]
      : [];
  const batch = create(BatchSchema, {
    hostId,
    streamEpoch: opts.epoch,
    seq: opts.seq,
    createdAtUnixMs: BigInt(nowMs),
    socketSnapshots: [create(SocketSnapshotSchema, { observedAtUnixMs: BigInt(nowMs), startedAtUnixMs: BigInt(nowMs - opts.intervalMs), source: SocketSource.PROC, samples: Math.max(1, Math.round(opts.intervalMs / 500)), sockets })],
    queueSnapshots,
    mailWindows,
    authWindows,
    logStats: [create(LogReadStatsSchema, { path: "/var/log/mail.log", lines: 60n, recognised: 58n, unrecognised: 2n })],
  });
  return {
    batch,
    rows: { socket_snapshots: sockets.length, queue_snapshots: queueSnapshots.length, mail_windows: mailWindows.length, auth_windows: authWindows.length, log_read_stats: 1 },
  };
}

function mailWindow(startMs: number, kind: string, identity: string, counts: Partial<Record<"received" | "delivered" | "deferred" | "bounced" | "rejected" | "distinctRecipients" | "distinctRecipientDomains" | "distinctClientIps" | "authSuccesses", number>>) {
  return create(MailWindowSchema, { windowStartUnixMs: BigInt(startMs), windowSeconds: 60, identityKind: kind, identity, ...counts, sampleQueueIds: ["4Xq1T52mPLz9"], sampleLines: [] });
}

function socket(i: number, k: number, nowMs: number, direction: "inbound" | "outbound", remote: string, exe: string): Socket {
  const inbound = direction === "inbound";
  return create(SocketSchema, {
    proto: "tcp",
    state: "ESTABLISHED",
    direction: inbound ? SocketDirection.INBOUND : SocketDirection.OUTBOUND,
    localAddress: hostAddress(i),
    localPort: inbound ? 25 : 40_000 + (k % 20_000),
    remoteAddress: remote,
    remotePort: inbound ? 50_000 + (k % 10_000) : 25,
    inode: BigInt(1_000_000 + k),
    firstSeenUnixMs: BigInt(nowMs - 4_000),
    lastSeenUnixMs: BigInt(nowMs - 1_000),
    socketUid: 107,
    process: create(ProcessInfoSchema, { pid: 2000 + k, ppid: 1500, uid: 107, user: "postfix", comm: exe.split("/").pop() ?? "", argv: [exe.split("/").pop() ?? "", "-n", "smtp", "-t", "inet"], exe, cwd: "/var/spool/postfix", startTimeUnixMs: BigInt(nowMs - 60_000) }),
  });
}
