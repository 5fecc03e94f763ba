import { create } from "@bufbuild/protobuf";
import { KeyCountSchema, MtaInfoSchema, QueueSnapshotSchema, type MtaInfo, type QueueSnapshot as QueueSnapshotMessage } from "../gen/spamtrace/v1/ingest_pb.js";
import type { QueueSnapshot } from "./queue-snapshot.js";

/** What the Hello says of a host's MTA (the probe's detection, or `spamtrace-probe inspect --json` read by a scan). */
export interface MtaSummary {
  kind: string;
  version: string;
  binaryPaths: readonly string[];
  logPaths: readonly string[];
  queuePath: string;
}

/** The MTA as the Hello's MtaInfo: one conversion for the probe's stream and the scan. */
export function toMtaInfo(m: MtaSummary): MtaInfo {
  return create(MtaInfoSchema, { kind: m.kind, version: m.version, binaryPaths: [...m.binaryPaths], logPaths: [...m.logPaths], queuePath: m.queuePath });
}

/** A uint32 field's value, or 0 for a count no queue listing could give (garbled or untrusted input). */
function u32(n: number): number {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff ? n : 0;
}

/** A queue snapshot as a QueueSnapshot message (the probe's batches and the scan's). */
export function toQueueSnapshot(q: QueueSnapshot): QueueSnapshotMessage {
  const pairs = (list: readonly { key: string; count: number }[]) => list.map((k) => create(KeyCountSchema, { key: k.key, count: u32(k.count) }));
  return create(QueueSnapshotSchema, {
    observedAtUnixMs: BigInt(q.observedAtUnixMs),
    mta: q.mta,
    source: q.source,
    complete: q.complete,
    total: u32(q.total),
    byQueue: pairs(Object.entries(q.byQueue).map(([key, count]) => ({ key, count }))),
    frozenOrHeld: u32(q.frozenOrHeld),
    // A garbled listing can yield an absurd age; it must not cost the batch.
    oldestAgeSeconds: q.oldestAgeSeconds !== null && Number.isFinite(q.oldestAgeSeconds) ? BigInt(Math.round(q.oldestAgeSeconds)) : -1n,
    nullSender: u32(q.nullSender),
    recipients: u32(q.recipients),
    topSenders: pairs(q.topSenders),
    topRecipientDomains: pairs(q.topRecipientDomains),
  });
}
