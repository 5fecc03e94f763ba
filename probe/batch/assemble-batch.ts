import type { Batch } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { SocketSource } from "../../shared/types/socket-record.js";
import type { MailLogHarvest } from "../collect/mail-log/mail-log-collector.js";
import type { QueueSnapshot } from "../collect/queue/queue-snapshot.js";
import type { SocketInterval } from "../collect/sockets/accumulate-sockets.js";
import { buildBatch, toSocketSnapshot } from "./build-batch.js";
import { toAuthWindow, toLogReadStats, toMailWindow, toQueueSnapshot, toScriptSubmission } from "./build-mta-parts.js";
import { toMessageDelivery, toMessageRecord } from "../../shared/mta/aggregate/message-messages.js";

/** Everything gathered since the previous batch, and the batch's place in the stream. */
export interface BatchContents {
  hostId: string;
  epoch: bigint;
  seq: bigint;
  nowMs: number;
  /** Batches the spool evicted so far (cumulative, reported in every batch). */
  evictedTotal: number;
  sockets: SocketInterval;
  socketSource: SocketSource;
  queue: readonly QueueSnapshot[];
  logs: MailLogHarvest | undefined;
}

/** The Batch message of one interval: its socket snapshot (when sampled), queue snapshots, mail and auth windows, log counters and script submissions. */
export function assembleBatch(c: BatchContents): Batch {
  const batch = buildBatch({
    hostId: c.hostId,
    epoch: c.epoch,
    seq: c.seq,
    nowMs: c.nowMs,
    snapshots: c.sockets.samples > 0 ? [toSocketSnapshot(c.sockets, c.socketSource)] : [],
    evictedTotal: c.evictedTotal,
  });
  batch.queueSnapshots = c.queue.map(toQueueSnapshot);
  if (c.logs) {
    batch.mailWindows = c.logs.identities.map(toMailWindow);
    batch.authWindows = c.logs.auth.map(toAuthWindow);
    batch.messages = c.logs.messages.map(toMessageRecord);
    batch.messageDeliveries = c.logs.deliveries.map(toMessageDelivery);
    // A file that gave no line and did not rotate has nothing to report.
    batch.logStats = c.logs.stats.filter((s) => s.lines > 0 || s.rotations > 0).map(toLogReadStats);
    batch.scriptSubmissions = c.logs.scripts.map(toScriptSubmission);
  }
  return batch;
}

/**
 * True when a batch carries nothing at all (a relay policy's hash alone is nothing; its full lists are
 * something: they go at once, so the collector judges the first mail by them, not by delivery lines).
 */
export function isEmptyBatch(batch: Batch): boolean {
  if (batch.relayPolicy?.full === true) return false;
  return batch.socketSnapshots.length + batch.queueSnapshots.length + batch.mailWindows.length + batch.authWindows.length + batch.logStats.length + batch.scriptSubmissions.length + batch.messages.length + batch.messageDeliveries.length === 0;
}
