// One virtual probe of the fleet benchmark: its own certificate, host id and
// TLS connection, one gRPC stream as the real sender keeps (Hello, Welcome,
// batches, acks), an in-memory spool re-sent after every reconnect (the
// Welcome drops what is stored), and reconnects with full-jitter backoff.
import { credentials, makeGenericClientConstructor, type Client, type ClientDuplexStream } from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { StreamRequestSchema, type Batch, type StreamRequest, type StreamResponse } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import { ingestServiceDefinition } from "../../shared/grpc/ingest-service.js";
import { backoffDelayMs } from "../../shared/retry/backoff-delay.js";
import { fleetBatch, fleetHello, type BatchRows } from "../../test/setup/fleet-batches.js";
import { RawGrpcChannel } from "./raw-grpc-stream.js";

const IngestClient = makeGenericClientConstructor(ingestServiceDefinition, "IngestService");
const MAX_IN_FLIGHT = 16;

/** What all probes of a worker count. */
export interface ProbeStats {
  sent: number;
  acked: number;
  duplicateAcks: number;
  streamErrors: number;
  welcomes: number;
  ackLatencyMs: number[];
  /** Stream start (Hello written) to Welcome, ms. */
  welcomeLatencyMs: number[];
  /** Stream errors by gRPC status detail. */
  errors: Map<string, number>;
  rows: BatchRows;
  /** hostId → when its first compromised batch was built (ms). */
  planted: Map<string, number>;
  /** hostId → last welcome time (ms). */
  lastWelcome: Map<string, number>;
}

/** Settings shared by every probe of a run. */
export interface ProbeSettings {
  addresses: string[];
  ca: Buffer;
  key: Buffer;
  epoch: bigint;
  intervalMs: number;
  /** Wall-clock time (ms) after which compromised hosts send the hijacked account's traffic. */
  plantAtMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** "raw": node:http2 (raw-grpc-stream.ts, light on the generator); "grpc-js": the probe's own library. */
  client: "raw" | "grpc-js";
  /** Raw client over plaintext HTTP/2 (bench --plaintext). */
  plaintext?: boolean;
}

/** The part of a bidi call the virtual probe uses (grpc-js's ClientDuplexStream or RawBidiCall). */
interface BidiCall {
  on(event: "data", listener: (response: StreamResponse) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  write(request: StreamRequest): unknown;
  cancel(): void;
}

interface Pending {
  seq: bigint;
  batch: Batch;
  rows: BatchRows;
  sentAt: number;
}

/** A virtual probe. */
export class VirtualProbe {
  private readonly client: { grpc: Client } | { raw: RawGrpcChannel };
  private call: BidiCall | undefined;
  private readonly pending: Pending[] = [];
  private seq = 0n;
  private sentThrough = 0n;
  private welcomed = false;
  private attempt = 0;
  private helloAt = 0;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];
  private producing: NodeJS.Timeout | undefined;

  constructor(
    private readonly hostId: string,
    private readonly index: number,
    cert: Buffer,
    private readonly settings: ProbeSettings,
    private readonly stats: ProbeStats,
    private readonly opts: { compromised: boolean; bulkSockets?: number; floodEveryMs?: number },
  ) {
    const address = settings.addresses[index % settings.addresses.length]!;
    if (settings.client === "raw") {
      this.client = { raw: new RawGrpcChannel({ address, ca: settings.ca, key: settings.key, cert, plaintext: settings.plaintext }) };
      return;
    }
    this.client = { grpc: new IngestClient(address, credentials.createSsl(settings.ca, settings.key, cert), {
      "grpc.ssl_target_name_override": "localhost",
      "grpc.keepalive_time_ms": 60_000,
      "grpc.initial_reconnect_backoff_ms": settings.reconnectMinMs,
      "grpc.max_reconnect_backoff_ms": settings.reconnectMaxMs,
      "grpc.use_local_subchannel_pool": 1,
      "grpc.max_send_message_length": 64 * 1024 * 1024,
    }) };
  }

  /** Connects after `delayMs` and produces a batch every interval (or every floodEveryMs). */
  start(delayMs: number): void {
    this.later(() => {
      this.connect();
      const every = this.opts.floodEveryMs ?? this.settings.intervalMs;
      this.producing = setInterval(() => this.produce(), every);
      this.produce();
    }, delayMs);
  }

  /** Batches not yet acknowledged. */
  get unacked(): number {
    return this.pending.length;
  }

  get isWelcomed(): boolean {
    return this.welcomed;
  }

  /** Stops producing (the spool keeps being sent). */
  stopProducing(): void {
    clearInterval(this.producing);
  }

  /** Closes the stream and the channel. */
  close(): void {
    this.stopped = true;
    this.stopProducing();
    for (const t of this.timers) clearTimeout(t);
    this.call?.cancel();
    if ("raw" in this.client) this.client.raw.close();
    else this.client.grpc.close();
  }

  private produce(): void {
    // The flooding probe keeps at most a few batches queued: it floods the collector, not its own memory.
    if (this.opts.floodEveryMs !== undefined && this.pending.length >= MAX_IN_FLIGHT) return;
    const now = Date.now();
    const compromised = this.opts.compromised && now >= this.settings.plantAtMs;
    if (compromised && !this.stats.planted.has(this.hostId)) this.stats.planted.set(this.hostId, now);
    this.seq++;
    const { batch, rows } = fleetBatch({ hostId: this.hostId, i: this.index, epoch: this.settings.epoch, seq: this.seq, nowMs: now, intervalMs: this.settings.intervalMs, compromised, ...(this.opts.bulkSockets ? { bulkSockets: this.opts.bulkSockets } : {}) });
    this.pending.push({ seq: this.seq, batch, rows, sentAt: 0 });
    this.sendMore();
  }

  private connect(): void {
    if (this.stopped) return;
    const def = ingestServiceDefinition.stream!;
    const call: BidiCall =
      "raw" in this.client ? this.client.raw.openStream() : (this.client.grpc.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize) as ClientDuplexStream<StreamRequest, StreamResponse>);
    this.call = call;
    this.welcomed = false;
    let ended = false;
    const onEnd = (error: boolean): void => {
      if (ended) return;
      ended = true;
      if (error) this.stats.streamErrors++;
      const wasWelcomed = this.welcomed;
      this.welcomed = false;
      this.call = undefined;
      this.attempt = wasWelcomed ? 1 : this.attempt + 1;
      this.later(() => this.connect(), backoffDelayMs(this.attempt, this.settings.reconnectMinMs, this.settings.reconnectMaxMs));
    };
    call.on("data", (response: StreamResponse) => this.onResponse(response));
    call.on("error", (error: Error) => {
      const detail = (error as Error & { details?: string }).details ?? error.message;
      this.stats.errors.set(detail.slice(0, 80), (this.stats.errors.get(detail.slice(0, 80)) ?? 0) + 1);
      onEnd(true);
    });
    call.on("end", () => onEnd(false));
    this.helloAt = Date.now();
    call.write(create(StreamRequestSchema, { kind: { case: "hello", value: fleetHello(this.hostId, this.index, this.settings.epoch) } }));
  }

  private onResponse(response: StreamResponse): void {
    const kind = response.kind;
    if (kind.case === "welcome") {
      this.welcomed = true;
      this.attempt = 0;
      this.stats.welcomes++;
      this.stats.welcomeLatencyMs.push(Date.now() - this.helloAt);
      this.stats.lastWelcome.set(this.hostId, Date.now());
      this.ackThrough(kind.value.storedThroughSeq, false);
      this.sentThrough = kind.value.storedThroughSeq;
      this.sendMore();
    } else if (kind.case === "ack") {
      if (kind.value.duplicate) this.stats.duplicateAcks++;
      this.ackThrough(kind.value.seq, true);
      this.sendMore();
    }
  }

  private ackThrough(seq: bigint, timed: boolean): void {
    const now = Date.now();
    while (this.pending.length > 0 && this.pending[0]!.seq <= seq) {
      const p = this.pending.shift()!;
      this.stats.acked++;
      this.stats.rows.socket_snapshots += p.rows.socket_snapshots;
      this.stats.rows.queue_snapshots += p.rows.queue_snapshots;
      this.stats.rows.mail_windows += p.rows.mail_windows;
      this.stats.rows.auth_windows += p.rows.auth_windows;
      this.stats.rows.log_read_stats += p.rows.log_read_stats;
      if (timed && p.sentAt > 0) this.stats.ackLatencyMs.push(now - p.sentAt);
    }
  }

  private sendMore(): void {
    const call = this.call;
    if (!call || !this.welcomed) return;
    const inFlight = this.pending.filter((p) => p.seq <= this.sentThrough).length;
    let budget = MAX_IN_FLIGHT - inFlight;
    for (const p of this.pending) {
      if (budget <= 0) break;
      if (p.seq <= this.sentThrough) continue;
      // As the real sender: a batch never written before carries first_send (no half-stored check).
      const firstSend = p.sentAt === 0;
      if (firstSend) this.stats.sent++;
      p.sentAt = Date.now();
      call.write(create(StreamRequestSchema, { kind: { case: "batch", value: { ...p.batch, firstSend } } }));
      this.sentThrough = p.seq;
      budget--;
    }
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers = this.timers.filter((x) => x !== t);
      fn();
    }, ms);
    this.timers.push(t);
  }
}
