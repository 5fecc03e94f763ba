// Writes realistic probe data into ClickHouse the way the collector does:
// protobuf Hello/Batch messages stored through the real BatchWriter, mail
// and auth windows produced by the real log parsers and window aggregator
// from MTA log lines. Used by the detection integration tests.
import { toAuthWindow, toMailWindow } from "../../shared/mta/aggregate/window-messages.js";
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
  type AuthWindow,
  type MailWindow,
} from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import { WindowAggregator } from "../../shared/mta/aggregate/window-aggregator.js";
import { MessageLedger } from "../../shared/mta/aggregate/message-ledger.js";
import { toMessageDelivery, toMessageRecord } from "../../shared/mta/aggregate/message-messages.js";
import { MailLogParser } from "../../shared/mta/parse/mail-log-parser.js";
import type { RelayJudge } from "../../shared/mta/relay/relay-policy.js";
import type { RelayPolicy as RelayPolicyMessage } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import { BatchWriter, type StreamCursor } from "../store/batch-writer.js";
import { InsertBatcher } from "../store/insert-batcher.js";
import type { ClickHouseStore } from "../store/clickhouse/store.js";

/** A host of the simulated fleet. */
export interface SimHost {
  hostId: string;
  ipAddresses?: string[];
  mtaKind?: string;
  mtaBinaryPaths?: string[];
}

/** A mail window: any MailWindow field, plus the minute it falls in. */
export type SimMailWindow = Partial<Omit<MailWindow, "$typeName" | "windowStartUnixMs">> & { atMs: number };

/** Postfix's executables on Debian, as the probe lists them. */
export const POSTFIX_BINARIES = ["/usr/lib/postfix/sbin/master", "/usr/lib/postfix/sbin/qmgr", "/usr/lib/postfix/sbin/smtp", "/usr/lib/postfix/sbin/smtpd", "/usr/lib/postfix/sbin/pickup", "/usr/sbin/postdrop", "/usr/sbin/sendmail"];
/** Exim's executables on Debian. */
export const EXIM_BINARIES = ["/usr/sbin/exim4", "/usr/sbin/sendmail"];

/** A syslog timestamp ("Nov 29 07:04:10") in UTC. */
export function syslogTime(ms: number): string {
  const d = new Date(ms);
  const month = d.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  return `${month} ${String(d.getUTCDate()).padStart(2, " ")} ${d.toISOString().slice(11, 19)}`;
}

/** An Exim mainlog timestamp ("2026-11-29 07:10:00") in UTC. */
export function eximTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** The fleet: one BatchWriter stream per host, batches numbered as a probe would. */
export class FleetSimulator {
  private readonly writer: BatchWriter;
  private readonly cursors = new Map<string, StreamCursor>();
  private readonly seq = new Map<string, bigint>();

  constructor(store: ClickHouseStore, collectorId = "sim-collector") {
    this.writer = new BatchWriter(store, collectorId, new InsertBatcher(store, { maxRows: 10_000 }));
  }

  /** Announces a host (its Hello → hosts row). */
  async host(h: SimHost): Promise<void> {
    const hello = create(HelloSchema, {
      hostId: h.hostId,
      hostname: `${h.hostId}.fleet.test`,
      ipAddresses: h.ipAddresses ?? [],
      os: "Debian GNU/Linux 12 (bookworm)",
      probeVersion: "test",
      streamEpoch: 1n,
      mta: create(MtaInfoSchema, { kind: h.mtaKind ?? "postfix", version: "3.7.11", binaryPaths: h.mtaBinaryPaths ?? POSTFIX_BINARIES, logPaths: ["/var/log/mail.log"] }),
    });
    this.cursors.set(h.hostId, await this.writer.openStream(hello, h.hostId));
    this.seq.set(h.hostId, 0n);
  }

  private async batch(hostId: string, fill: Parameters<typeof create<typeof BatchSchema>>[1], createdAtMs = Date.now()): Promise<void> {
    const cursor = this.cursors.get(hostId);
    if (!cursor) throw new Error(`host ${hostId} not announced`);
    const seq = (this.seq.get(hostId) ?? 0n) + 1n;
    this.seq.set(hostId, seq);
    await this.writer.storeBatch(cursor, create(BatchSchema, { hostId, streamEpoch: 1n, seq, createdAtUnixMs: BigInt(createdAtMs), ...fill }));
  }

  /** Stores mail windows given field by field. */
  async mailWindows(hostId: string, windows: SimMailWindow[]): Promise<void> {
    await this.batch(hostId, {
      mailWindows: windows.map(({ atMs, ...w }) => create(MailWindowSchema, { windowSeconds: 60, ...w, windowStartUnixMs: BigInt(Math.floor(atMs / 60_000) * 60_000) })),
    });
  }

  /** Stores auth windows given field by field. */
  async authWindows(hostId: string, windows: (Partial<Omit<AuthWindow, "$typeName" | "windowStartUnixMs">> & { atMs: number })[]): Promise<void> {
    await this.batch(hostId, {
      authWindows: windows.map(({ atMs, ...w }) => create(AuthWindowSchema, { windowSeconds: 60, ...w, windowStartUnixMs: BigInt(Math.floor(atMs / 60_000) * 60_000) })),
    });
  }

  /**
   * Parses MTA log lines with the shared parsers, aggregates them per minute
   * like the probe, and stores the resulting mail and auth windows.
   */
  async logLines(hostId: string, lines: readonly string[], referenceMs = Date.now(), relayJudge?: RelayJudge): Promise<{ mailWindows: number; authWindows: number }> {
    const aggregator = new WindowAggregator({ relayJudge: () => relayJudge });
    const ledger = new MessageLedger();
    const parser = new MailLogParser(
      (event) => {
        aggregator.add(event);
        ledger.add(event);
      },
      { referenceUnixMs: () => referenceMs },
    );
    for (const line of lines) parser.parseLine(line);
    const { identities, auth } = aggregator.drainAll();
    const { messages, deliveries } = ledger.drain();
    await this.batch(hostId, {
      // The probe's own conversion, so the simulator stores exactly what a probe would send.
      mailWindows: identities.map(toMailWindow),
      authWindows: auth.map(toAuthWindow),
      messages: messages.map(toMessageRecord),
      messageDeliveries: deliveries.map(toMessageDelivery),
    });
    return { mailWindows: identities.length, authWindows: auth.length };
  }

  /** Stores a batch carrying only a RelayPolicy message (as the probe's RelayPolicyTracker builds it). */
  async relayPolicy(hostId: string, policy: RelayPolicyMessage, createdAtMs = Date.now()): Promise<void> {
    await this.batch(hostId, { relayPolicy: policy }, createdAtMs);
  }

  /** Stores one socket snapshot of outbound/inbound SMTP sockets with their processes. */
  async sockets(
    hostId: string,
    atMs: number,
    sockets: {
      direction: "outbound" | "inbound" | "listen";
      localAddress?: string;
      localPort?: number;
      remoteAddress: string;
      remotePort: number;
      pid?: number;
      ppid?: number;
      user?: string;
      uid?: number;
      comm?: string;
      argv?: string[];
      exe?: string;
      exeDeleted?: boolean;
      cwd?: string;
      exeSha256?: string;
    }[],
  ): Promise<void> {
    await this.batch(hostId, {
      socketSnapshots: [
        create(SocketSnapshotSchema, {
          observedAtUnixMs: BigInt(atMs),
          startedAtUnixMs: BigInt(atMs - 5_000),
          source: SocketSource.PROC,
          samples: 10,
          sockets: sockets.map((s, i) =>
            create(SocketSchema, {
              proto: "tcp",
              state: "ESTABLISHED",
              direction: { outbound: SocketDirection.OUTBOUND, inbound: SocketDirection.INBOUND, listen: SocketDirection.LISTEN }[s.direction],
              localAddress: s.localAddress ?? "198.51.100.10",
              localPort: s.localPort ?? 40_000 + i,
              remoteAddress: s.remoteAddress,
              remotePort: s.remotePort,
              inode: BigInt(100_000 + i),
              firstSeenUnixMs: BigInt(atMs - 4_000),
              lastSeenUnixMs: BigInt(atMs - 1_000),
              socketUid: s.uid ?? 33,
              process: create(ProcessInfoSchema, {
                pid: s.pid ?? 4242,
                ppid: s.ppid ?? 1,
                uid: s.uid ?? 33,
                user: s.user ?? "www-data",
                comm: s.comm ?? "",
                argv: s.argv ?? [],
                exe: s.exe ?? "",
                exeDeleted: s.exeDeleted ?? false,
                cwd: s.cwd ?? "/",
                startTimeUnixMs: BigInt(atMs - 60_000),
                exeSha256: s.exeSha256 ?? "",
              }),
            }),
          ),
        }),
      ],
    });
  }

  /** Stores the lines the probe read from each log in the batch sent at `atMs` (log_read_stats rows carry the batch time). */
  async logStats(hostId: string, atMs: number, stats: { path: string; lines: number; recognised?: number; rotations?: number }[]): Promise<void> {
    await this.batch(
      hostId,
      {
        logStats: stats.map((s) =>
          create(LogReadStatsSchema, { path: s.path, lines: BigInt(s.lines), recognised: BigInt(s.recognised ?? s.lines), unrecognised: BigInt(s.lines - (s.recognised ?? s.lines)), rotations: s.rotations ?? 0 }),
        ),
      },
      atMs,
    );
  }

  /** Stores one queue snapshot. */
  async queue(
    hostId: string,
    atMs: number,
    q: { total: number; byQueue?: Record<string, number>; nullSender?: number; oldestAgeSeconds?: number; topSenders?: Record<string, number>; topRecipientDomains?: Record<string, number>; mta?: string },
  ): Promise<void> {
    const kc = (r: Record<string, number> | undefined) => Object.entries(r ?? {}).map(([key, count]) => create(KeyCountSchema, { key, count }));
    await this.batch(hostId, {
      queueSnapshots: [
        create(QueueSnapshotSchema, {
          observedAtUnixMs: BigInt(atMs),
          mta: q.mta ?? "postfix",
          source: "postqueue -j",
          complete: true,
          total: q.total,
          byQueue: kc(q.byQueue),
          frozenOrHeld: 0,
          oldestAgeSeconds: BigInt(q.oldestAgeSeconds ?? 60),
          nullSender: q.nullSender ?? 0,
          recipients: q.total,
          topSenders: kc(q.topSenders),
          topRecipientDomains: kc(q.topRecipientDomains),
        }),
      ],
    });
  }
}
