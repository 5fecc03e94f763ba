import { create } from "@bufbuild/protobuf";
import {
  AuthWindowSchema,
  KeyCountSchema,
  LogReadStatsSchema,
  MailWindowSchema,
  QueueSnapshotSchema,
  type AuthWindow as AuthWindowMessage,
  type LogReadStats,
  type MailWindow,
  type QueueSnapshot as QueueSnapshotMessage,
} from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { AuthWindow, IdentityWindow } from "../../shared/mta/aggregate/window-aggregator.js";
import type { LogFileStats } from "../collect/mail-log/mail-log-collector.js";
import type { QueueSnapshot } from "../collect/queue/queue-snapshot.js";

/** An identity window as a MailWindow message. */
export function toMailWindow(w: IdentityWindow): MailWindow {
  return create(MailWindowSchema, {
    windowStartUnixMs: BigInt(w.window_start_unix_ms),
    windowSeconds: w.window_seconds,
    identityKind: w.kind,
    identity: w.key,
    received: w.received,
    delivered: w.delivered,
    deferred: w.deferred,
    bounced: w.bounced,
    rejected: w.rejected,
    relayDenied: w.relay_denied,
    authFailures: w.auth_failures,
    authSuccesses: w.auth_successes,
    nullSender: w.null_sender,
    distinctRecipients: w.distinct_recipients,
    distinctRecipientDomains: w.distinct_recipient_domains,
    distinctClientIps: w.distinct_client_ips,
    sampleQueueIds: w.sample_queue_ids,
    sampleMessageIds: w.sample_message_ids,
    sampleLines: w.sample_lines,
  });
}

/** An auth window as an AuthWindow message. */
export function toAuthWindow(w: AuthWindow): AuthWindowMessage {
  return create(AuthWindowSchema, {
    windowStartUnixMs: BigInt(w.window_start_unix_ms),
    windowSeconds: w.window_seconds,
    clientIp: w.client_ip,
    username: w.username,
    failures: w.failures,
    successes: w.successes,
    services: w.services,
    sampleLines: w.sample_lines,
  });
}

/** A queue snapshot as a QueueSnapshot message. */
export function toQueueSnapshot(q: QueueSnapshot): QueueSnapshotMessage {
  const pairs = (list: readonly { key: string; count: number }[]) => list.map((k) => create(KeyCountSchema, k));
  return create(QueueSnapshotSchema, {
    observedAtUnixMs: BigInt(q.observedAtUnixMs),
    mta: q.mta,
    source: q.source,
    complete: q.complete,
    total: q.total,
    byQueue: pairs(Object.entries(q.byQueue).map(([key, count]) => ({ key, count }))),
    frozenOrHeld: q.frozenOrHeld,
    // A garbled listing can yield an absurd age; it must not cost the batch.
    oldestAgeSeconds: q.oldestAgeSeconds !== null && Number.isFinite(q.oldestAgeSeconds) ? BigInt(Math.round(q.oldestAgeSeconds)) : -1n,
    nullSender: q.nullSender,
    recipients: q.recipients,
    topSenders: pairs(q.topSenders),
    topRecipientDomains: pairs(q.topRecipientDomains),
  });
}

/** Log counters as a LogReadStats message. */
export function toLogReadStats(s: LogFileStats): LogReadStats {
  return create(LogReadStatsSchema, {
    path: s.path,
    lines: BigInt(s.lines),
    recognised: BigInt(s.recognised),
    unrecognised: BigInt(s.unrecognised),
    rotations: s.rotations,
  });
}
