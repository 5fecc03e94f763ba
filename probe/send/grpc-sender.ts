import { credentials, makeGenericClientConstructor, type ChannelCredentials, type Client, type ClientDuplexStream } from "@grpc/grpc-js";
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
  /** host:port of the collector. */
  address: string;
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
  /** Called with (seq) after each acknowledgement; for tests and metrics. */
  onAck?: (seq: bigint) => void;
}

const IngestClient = makeGenericClientConstructor(ingestServiceDefinition, "IngestService");

/**
 * Streams spooled batches to the collector and deletes them from the spool
 * once acknowledged. Reconnects forever with backoff; after a reconnect it
 * re-sends everything not acknowledged, and the collector's Welcome tells it
 * what was already stored.
 */
export class GrpcSender {
  private readonly client: Client;
  private stopped = false;
  private current: ClientDuplexStream<StreamRequest, StreamResponse> | undefined;
  private pump: (() => void) | undefined;
  private wakeSleep: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  /** True while a stream is open and welcomed. */
  connected = false;

  constructor(private readonly opts: GrpcSenderOptions) {
    const channelCredentials: ChannelCredentials =
      opts.tls === "insecure" ? credentials.createInsecure() : credentials.createSsl(opts.tls.ca, opts.tls.key, opts.tls.cert);
    this.client = new IngestClient(opts.address, channelCredentials, {
      "grpc.keepalive_time_ms": opts.keepaliveMs,
      "grpc.keepalive_timeout_ms": opts.keepaliveMs,
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.initial_reconnect_backoff_ms": opts.reconnectMinMs,
      "grpc.max_reconnect_backoff_ms": opts.reconnectMaxMs,
      ...(opts.tls !== "insecure" && opts.tls.serverName ? { "grpc.ssl_target_name_override": opts.tls.serverName } : {}),
    });
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
    this.client.close();
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      let welcomed = false;
      try {
        await this.session(() => {
          welcomed = true;
        });
      } catch (error) {
        if (!this.stopped) this.opts.logger.warn({ err: (error as Error).message, address: this.opts.address }, "collector stream failed");
      }
      this.connected = false;
      if (this.stopped) break;
      attempt = welcomed ? 0 : attempt + 1;
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

  private session(onWelcome: () => void): Promise<void> {
    const { spool, logger } = this.opts;
    return new Promise<void>((resolve, reject) => {
      const call = this.client.makeBidiStreamRequest(
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
          logger.info({ stored_through: kind.value.storedThroughSeq.toString(), pending: spool.size }, "connected to collector");
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
