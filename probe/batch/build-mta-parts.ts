import { create } from "@bufbuild/protobuf";
import { KeyCountSchema, LogReadStatsSchema, QueueSnapshotSchema, type LogReadStats, type QueueSnapshot as QueueSnapshotMessage } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { LogFileStats } from "../collect/mail-log/mail-log-collector.js";
import type { QueueSnapshot } from "../collect/queue/queue-snapshot.js";

// The window messages are built in shared/ (the collector's fleet simulator writes them too).
export { toAuthWindow, toMailWindow } from "../../shared/mta/aggregate/window-messages.js";

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
