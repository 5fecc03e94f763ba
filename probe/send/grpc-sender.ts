import { credentials, makeGenericClientConstructor, status, type ChannelCredentials, type Client, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { create, fromBinary } from "@bufbuild/protobuf";
import { BatchSchema, StreamRequestSchema, type Hello, type StreamRequest, type StreamResponse } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import { ingestServiceDefinition } from "../../shared/grpc/ingest-service.js";
import type { Logger } from "../../shared/log/logger.js";
import type { DiskSpool } from "../spool/disk-spool.js";
import { backoffDelayMs } from "../../shared/retry/backoff-delay.js";

/** PEM material for the probe's side of mutual TLS. */
export interface ClientTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Name to check in the collector's certificate when it differs from the address's host. */
  serverName?: string | undefined;
}

/** How the sender reaches the collector. */
export interface GrpcSenderOptions {
  /**
   * host:port of each collector, tried in turn: a failed stream moves to the
   * next one. A name resolving to several addresses is tried address by
   * address by grpc-js itself.
   */
  addresses: readonly string[];
  tls: ClientTls | "insecure";
  spool: DiskSpool;
  /** Builds the Hello for a new stream. */
  hello: () => Hello;
  logger: Logger;
  /** HTTP/2 keepalive ping interval, ms. */
  keepaliveMs: number;
  /** Batches sent but not yet acknowledged, at most. */
  maxInFlight: number;
  /** First reconnect delay, ms. */
  reconnectMinMs: number;
  /** Longest reconnect delay, ms. */
  reconnectMaxMs: number;
  /** Index in `addresses` of the first collector to try; default random, which spreads a fleet over the list. */
  firstAddress?: number;
  /** Called with (seq) after each acknowledgement; for tests and metrics. */
  onAck?: (seq: bigint) => void;
  /** Called when a batch the collectors keep refusing as invalid is set aside (metrics). */
  onSetAside?: (seq: bigint, reason: string) => void;
}

/**
 * A batch is set aside after this many streams in a row ended with
 * invalid_argument while it was the oldest unacknowledged one: the collector
 * stores in order, so the batches behind a refused one would wait forever.
 * Two, not one: the second stream goes to the next collector of the list,
 * which may be configured with other limits.
 */
export const REFUSALS_BEFORE_SET_ASIDE = 2;

const IngestClient = makeGenericClientConstructor(ingestServiceDefinition, "IngestService");

/**
 * Streams spooled batches to the collector and deletes them from the spool
 * once acknowledged. Reconnects forever with backoff, moving to the next
 * collector of the list after each failed stream; after a reconnect it
 * re-sends everything not acknowledged, and the collector's Welcome tells it
 * what was already stored (collectors sharing a store answer alike).
 */
export class GrpcSender {
  private readonly clients = new Map<string, Client>();
  /** Index in `addresses` of the collector to use next. */
  private next: number;
  private stopped = false;
  private current: ClientDuplexStream<StreamRequest, StreamResponse> | undefined;
  private pump: (() => void) | undefined;
  private wakeSleep: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  /**
   * Highest sequence number that may have been written to a stream: what the
   * spool held when the sender was made (an earlier run may have sent it),
   * then every batch written. A batch above it goes out with first_send.
   */
  private mayHaveSentThrough: bigint;
  /** The oldest unacknowledged batch when the last streams were refused as invalid, and how many times in a row. */
  private refused: { seq: bigint; times: number } | undefined;
  /** True while a stream is open and welcomed. */
  connected = false;

  constructor(private readonly opts: GrpcSenderOptions) {
    if (opts.addresses.length === 0) throw new Error("GrpcSender needs at least one collector address");
    this.next = opts.firstAddress ?? Math.floor(Math.random() * opts.addresses.length);
    this.mayHaveSentThrough = opts.spool.nextSeq() - 1n;
  }

  private client(address: string): Client {
    let client = this.clients.get(address);
    if (!client) {
      const opts = this.opts;
      const channelCredentials: ChannelCredentials =
        opts.tls === "insecure" ? credentials.createInsecure() : credentials.createSsl(opts.tls.ca, opts.tls.key, opts.tls.cert);
      client = new IngestClient(address, channelCredentials, {
        "grpc.keepalive_time_ms": opts.keepaliveMs,
        "grpc.keepalive_timeout_ms": opts.keepaliveMs,
        "grpc.keepalive_permit_without_calls": 1,
        "grpc.initial_reconnect_backoff_ms": opts.reconnectMinMs,
        "grpc.max_reconnect_backoff_ms": opts.reconnectMaxMs,
        // A DNS name with several collectors: each probe starts at a random one.
        "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ pick_first: { shuffleAddressList: true } }] }),
        ...(opts.tls !== "insecure" && opts.tls.serverName ? { "grpc.ssl_target_name_override": opts.tls.serverName } : {}),
      });
      this.clients.set(address, client);
    }
    return client;
  }

  /** Starts the connect/send loop. */
  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Tells the sender a new batch is in the spool. */
  kick(): void {
    this.pump?.();
  }

  /** Stops sending; unacknowledged batches stay in the spool. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.cancel();
    this.wakeSleep?.();
    await this.loopDone;
    for (const client of this.clients.values()) client.close();
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      let welcomed = false;
      const address = this.opts.addresses[this.next % this.opts.addresses.length]!;
      try {
        await this.session(address, () => {
          welcomed = true;
        });
      } catch (error) {
        if (!this.stopped) {
          this.opts.logger.warn({ err: (error as Error).message, address }, "collector stream failed");
          if (welcomed) this.noteRefusal(error as Partial<ServiceError>);
        }
      }
      this.connected = false;
      if (this.stopped) break;
      // The next stream goes to the next collector; a single one is simply retried.
      this.next = (this.next + 1) % this.opts.addresses.length;
      // After a welcomed stream, 1 rather than 0: the whole fleet of a failed collector spreads over [min, 2 min].
      attempt = welcomed ? 1 : attempt + 1;
      const delay = backoffDelayMs(attempt, this.opts.reconnectMinMs, this.opts.reconnectMaxMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeSleep = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /**
   * Counts an invalid_argument end of a welcomed stream against the oldest
   * unacknowledged batch, and sets that batch aside once the count reaches
   * REFUSALS_BEFORE_SET_ASIDE (any other end, or another oldest batch, starts over).
   */
  private noteRefusal(error: Partial<ServiceError>): void {
    const seq = this.opts.spool.oldestSeq;
    if (error.code !== status.INVALID_ARGUMENT || seq === undefined) {
      this.refused = undefined;
      return;
    }
    const times = this.refused?.seq === seq ? this.refused.times + 1 : 1;
    this.refused = { seq, times };
    if (times < REFUSALS_BEFORE_SET_ASIDE) return;
    const reason = error.details ?? error.message ?? "invalid_argument";
    const kept = this.opts.spool.setAside(seq, reason);
    this.refused = undefined;
    this.opts.logger.error({ seq: seq.toString(), reason, kept }, "collector refused a batch as invalid, again and again: set aside, the next ones go on");
    this.opts.onSetAside?.(seq, reason);
  }

  private session(address: string, onWelcome: () => void): Promise<void> {
    const { spool, logger } = this.opts;
    return new Promise<void>((resolve, reject) => {
      const call = this.client(address).makeBidiStreamRequest(
        ingestServiceDefinition.stream!.path,
        ingestServiceDefinition.stream!.requestSerialize,
        ingestServiceDefinition.stream!.responseDeserialize,
      ) as ClientDuplexStream<StreamRequest, StreamResponse>;
      this.current = call;
      let sentThrough = 0n;
      let inFlight = 0;
      let welcomed = false;
      const sendMore = (): void => {
        if (!welcomed) return;
        for (const spooled of spool.pending(sentThrough)) {
          if (inFlight >= this.opts.maxInFlight) break;
          const batch = fromBinary(BatchSchema, spooled.bytes);
          // Never written before: the collector need not look for a half-stored copy.
          batch.firstSend = spooled.seq > this.mayHaveSentThrough;
          if (batch.firstSend) this.mayHaveSentThrough = spooled.seq;
          call.write(create(StreamRequestSchema, { kind: { case: "batch", value: batch } }));
          sentThrough = spooled.seq;
          inFlight++;
        }
      };
      call.on("data", (response: StreamResponse) => {
        const kind = response.kind;
        if (kind.case === "welcome") {
          welcomed = true;
          this.connected = true;
          onWelcome();
          spool.ackThrough(kind.value.storedThroughSeq);
          sentThrough = kind.value.storedThroughSeq;
          logger.info({ address, stored_through: kind.value.storedThroughSeq.toString(), pending: spool.size }, "connected to collector");
          this.pump = sendMore;
          sendMore();
        } else if (kind.case === "ack") {
          spool.ackThrough(kind.value.seq);
          inFlight = Math.max(0, inFlight - 1);
          this.opts.onAck?.(kind.value.seq);
          sendMore();
        }
      });
      call.on("error", (error) => {
        this.pump = undefined;
        reject(error);
      });
      call.on("end", () => {
        this.pump = undefined;
        resolve();
      });
      call.write(create(StreamRequestSchema, { kind: { case: "hello", value: this.opts.hello() } }));
    });
  }
}
