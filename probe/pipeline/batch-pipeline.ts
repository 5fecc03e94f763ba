import { toBinary } from "@bufbuild/protobuf";
import { BatchSchema, type Batch } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { Logger } from "../../shared/log/logger.js";
import type { SocketSource } from "../../shared/types/socket-record.js";
import { assembleBatch, isEmptyBatch } from "../batch/assemble-batch.js";
import { clipMessageStrings, WIRE_STRING_CHARS } from "../../shared/types/wire-strings.js";
import type { MailLogHarvest } from "../collect/mail-log/mail-log-collector.js";
import type { QueueSnapshot } from "../collect/queue/queue-snapshot.js";
import type { SocketAccumulator } from "../collect/sockets/accumulate-sockets.js";
import type { ProbeMetrics } from "../metrics/probe-metrics.js";
import type { DiskSpool } from "../spool/disk-spool.js";
import type { RelayPolicyTracker } from "./relay-policy-tracker.js";
import { clearCursorIntent, writeCursorIntent } from "./cursor-intent.js";

/** What a BatchPipeline reads from and writes to. */
export interface BatchPipelineOptions {
  hostId: string;
  /** Socket samples gathered since the previous batch (drained by each batch). */
  sockets: SocketAccumulator;
  socketSource: SocketSource;
  /** The MTA logs, when the host has any. */
  logs: { collect(): Promise<MailLogHarvest> } | undefined;
  /** Queue snapshots taken since the previous batch (handed over and forgotten). */
  takeQueueSnapshots: () => QueueSnapshot[];
  spool: DiskSpool;
  /** File of the cursor intent (see cursor-intent.ts), beside the spool. */
  intentPath: string;
  /** Tells the sender a batch is waiting. */
  send: () => void;
  metrics: ProbeMetrics;
  logger: Logger;
  now?: () => number;
  /** The MTA's relay policy: its hash in every batch, the whole of it once per change. */
  relayPolicy?: Pick<RelayPolicyTracker, "take" | "retakeFull">;
}

/** One interval's gatherings. */
interface Collected {
  nowMs: number;
  logs: MailLogHarvest | undefined;
}

/**
 * The probe's batch path, one stage after the other:
 * collect -> assemble -> spool -> commit cursors -> send.
 *
 * The order is what makes log delivery exact. Log lines are read ahead of
 * their cursor; the batch holding them is spooled (fsynced) before their
 * cursors are committed, so a crash before the spool write re-reads them
 * and loses nothing. The cursors are recorded in an intent before the spool
 * write, so a crash between the spool write and the cursor commit is finished
 * at start-up (recoverCursorIntent) and re-reads nothing twice.
 */
export class BatchPipeline {
  private flushing: Promise<void> | null = null;
  private evictedSeen = 0;
  private readonly now: () => number;

  constructor(private readonly opts: BatchPipelineOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Makes a batch of everything gathered since the last one. One at a time: a
   * call while a flush runs does nothing (the next tick takes its data).
   */
  flush(): Promise<void> {
    if (this.flushing !== null) return Promise.resolve();
    return this.serially(false, true);
  }

  /**
   * Makes a batch of what the logs (and the queue sampler) gathered, without
   * a socket snapshot, so log events reach the collector seconds after their
   * line rather than at the next snapshot; nothing new, no batch. Skipped
   * while a flush runs.
   */
  flushLogs(): Promise<void> {
    if (this.flushing !== null) return Promise.resolve();
    return this.serially(false, false);
  }

  /** The last flush at stop: waits for a running one, then sends what is left even without a socket sample. */
  async flushFinal(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    await this.serially(true, true);
  }

  private serially(final: boolean, withSockets: boolean): Promise<void> {
    const run = this.run(final, withSockets)
      .catch((error: unknown) => {
        // Nothing of this batch was spooled, so none of its cursors was committed.
        this.opts.logger.error({ err: (error as Error).message }, "building a batch failed");
      })
      .finally(() => {
        this.flushing = null;
      });
    this.flushing = run;
    return run;
  }

  private async run(final: boolean, withSockets: boolean): Promise<void> {
    // A loaded host can make one sample outlast a snapshot interval: an empty
    // snapshot would claim no sockets, so the interval is extended instead.
    if (withSockets && this.opts.sockets.sampleCount === 0 && !final) return;
    const collected = await this.collect();
    const batch = this.assemble(collected, withSockets);
    if ((final || !withSockets) && isEmptyBatch(batch)) return;
    if (!this.spoolBatch(batch, collected.logs)) {
      if (batch.relayPolicy?.full === true) this.opts.relayPolicy?.retakeFull();
      return;
    }
    await this.commitCursors(collected.logs);
    this.opts.send();
  }

  /** Stage 1: read what the logs gained (a failure costs this interval's log data, not its sockets). */
  private async collect(): Promise<Collected> {
    const nowMs = this.now();
    let logs: MailLogHarvest | undefined;
    try {
      logs = await this.opts.logs?.collect();
    } catch (error) {
      this.opts.logger.warn({ err: (error as Error).message }, "reading the MTA logs failed");
    }
    return { nowMs, logs };
  }

  /** Stage 2: the interval's Batch, numbered after the spool's last one (the socket interval stays open for a logs-only batch). */
  private assemble(collected: Collected, withSockets: boolean): Batch {
    const spool = this.opts.spool;
    const batch = assembleBatch({
      hostId: this.opts.hostId,
      epoch: spool.epoch,
      seq: spool.nextSeq(),
      nowMs: collected.nowMs,
      evictedTotal: spool.evictedTotal,
      sockets: withSockets ? this.opts.sockets.drain(collected.nowMs) : { startedAtMs: collected.nowMs, endedAtMs: collected.nowMs, samples: 0, sockets: [] },
      socketSource: this.opts.socketSource,
      queue: this.opts.takeQueueSnapshots(),
      logs: collected.logs,
    });
    batch.relayPolicy = this.opts.relayPolicy?.take();
    // A collector refuses a whole batch holding a longer string, and the batches behind it wait for it.
    const clipped = clipMessageStrings(batch);
    if (clipped > 0) {
      this.opts.metrics.stringsClipped.inc(clipped);
      this.opts.logger.warn({ seq: batch.seq.toString(), clipped, limit: WIRE_STRING_CHARS }, "strings longer than the wire limit clipped");
    }
    return batch;
  }

  /** Stage 3: the cursor intent, then the batch, both durable. False when the spool refused it (the batch is lost, and said so). */
  private spoolBatch(batch: Batch, logs: MailLogHarvest | undefined): boolean {
    const { spool, metrics, logger } = this.opts;
    try {
      if (logs !== undefined && logs.cursors.length > 0) writeCursorIntent(this.opts.intentPath, { epoch: batch.streamEpoch, seq: batch.seq }, logs.cursors);
      spool.append(batch.seq, toBinary(BatchSchema, batch));
    } catch (error) {
      logger.error({ err: (error as Error).message }, "cannot write batch to spool: snapshot lost");
      return false;
    }
    const newlyEvicted = spool.evictedTotal - this.evictedSeen;
    if (newlyEvicted > 0) {
      // The cumulative count goes to the collector in every later batch.
      this.evictedSeen = spool.evictedTotal;
      metrics.batchesEvicted.inc(newlyEvicted);
      logger.error({ evicted: newlyEvicted, spool_bytes: spool.bytes }, "spool full: oldest batches evicted");
    }
    metrics.batchesSpooled.inc();
    metrics.spoolBytes.set(spool.bytes);
    return true;
  }

  /** Stage 4: the log cursors of the spooled lines, then the intent is done. */
  private async commitCursors(logs: MailLogHarvest | undefined): Promise<void> {
    if (logs === undefined) return;
    await logs.commit();
    if (logs.cursors.length > 0) clearCursorIntent(this.opts.intentPath);
  }
}
