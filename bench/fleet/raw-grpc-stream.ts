// The fleet benchmark's light client: one gRPC bidi stream of IngestService
// written directly on node:http2 over TLS, without grpc-js's channel,
// resolver, load balancer and subchannel machinery. The collector sees what a
// probe sends: a TLS 1.3 connection with the probe's client certificate, one
// HTTP/2 connection per probe, a POST to /spamtrace.v1.IngestService/Stream
// with length-prefixed protobuf messages (the gRPC wire format), and grpc-status
// in the trailers. Why: 10,000 grpc-js channels made on the generator's one core
// were what held the 10,000-probe runs back (bench/fleet/README.md).
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { EventEmitter } from "node:events";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { StreamRequestSchema, StreamResponseSchema, type StreamRequest, type StreamResponse } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import { ingestServiceDefinition } from "../../shared/grpc/ingest-service.js";

/** TLS material and the collector's address. */
export interface RawConnectOptions {
  address: string;
  ca: Buffer;
  key: Buffer;
  cert: Buffer;
  /** Plaintext HTTP/2 (h2c), for a collector in grpc.insecure mode (the bench's --plaintext); default TLS. */
  plaintext?: boolean;
}

/**
 * How long a connection may take to be up before it is dropped and made again
 * (grpc-js's minimum connect timeout, which the real probe has). Without it a
 * SYN dropped by a full listen queue waits for the kernel's own retries (~2 min).
 */
const CONNECT_TIMEOUT_MS = 20_000;

/** One HTTP/2 connection (a probe's "channel"); streams are opened on it until it closes, then a new one is made. */
export class RawGrpcChannel {
  private session: ClientHttp2Session | undefined;

  constructor(private readonly opts: RawConnectOptions) {}

  /** Opens the Stream call: events "data" (StreamResponse), "error" (Error with details), "end". */
  openStream(): RawBidiCall {
    if (!this.session || this.session.closed || this.session.destroyed) {
      const o = this.opts;
      const session = o.plaintext === true ? http2.connect(`http://${o.address}`) : http2.connect(`https://${o.address}`, { ca: o.ca, key: o.key, cert: o.cert, servername: "localhost" });
      // Errors reach the stream opened on the session; the session itself must not throw.
      session.on("error", () => undefined);
      const timer = setTimeout(() => session.destroy(new Error(`not connected within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      session.once("connect", () => clearTimeout(timer));
      session.once("close", () => clearTimeout(timer));
      this.session = session;
    }
    const stream = this.session.request({ ":method": "POST", ":path": ingestServiceDefinition.stream!.path, "content-type": "application/grpc", te: "trailers" });
    return new RawBidiCall(stream);
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}

/** A bidi call in grpc-js's shape as far as the virtual probe uses it. */
export class RawBidiCall extends EventEmitter {
  private buffered: Buffer = Buffer.alloc(0);
  private status: { code: number; message: string } | undefined;
  private finished = false;

  constructor(private readonly stream: ClientHttp2Stream) {
    super();
    stream.on("response", (headers) => this.takeStatus(headers));
    stream.on("trailers", (trailers) => this.takeStatus(trailers));
    stream.on("data", (chunk: Buffer) => this.read(chunk));
    // The collector's side ended (trailers, or a trailers-only answer to an error before the Welcome): the call
    // is over, as for grpc-js. Waiting for "close" instead waited forever, because this side of the stream was
    // still open for writing: 500 probes whose Hello failed on a ClickHouse error never reconnected (the stall
    // of the restart runs, bench/fleet/README.md).
    stream.on("end", () => {
      this.finish(this.status ?? { code: 14, message: "stream ended without grpc-status (connection lost)" });
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
    stream.on("error", (error: Error) => this.finish({ code: 14, message: error.message }));
    stream.on("close", () => this.finish(this.status ?? { code: 14, message: `stream closed (http2 code ${stream.rstCode ?? "?"})` }));
  }

  write(request: StreamRequest): void {
    if (this.finished) return;
    const payload = toBinary(StreamRequestSchema, request);
    const frame = Buffer.allocUnsafe(5 + payload.byteLength);
    frame[0] = 0; // not compressed
    frame.writeUInt32BE(payload.byteLength, 1);
    frame.set(payload, 5);
    this.stream.write(frame);
  }

  cancel(): void {
    if (!this.stream.destroyed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  private takeStatus(headers: http2.IncomingHttpHeaders): void {
    const code = headers["grpc-status"];
    if (code !== undefined) this.status = { code: Number(code), message: decodeURIComponent(String(headers["grpc-message"] ?? "")) };
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 5) {
      const length = this.buffered.readUInt32BE(1);
      if (this.buffered.length < 5 + length) return;
      const message = fromBinary(StreamResponseSchema, this.buffered.subarray(5, 5 + length));
      this.buffered = this.buffered.subarray(5 + length);
      this.emit("data", message satisfies StreamResponse);
    }
  }

  private finish(status: { code: number; message: string }): void {
    if (this.finished) return;
    this.finished = true;
    if (status.code === 0) this.emit("end");
    else this.emit("error", Object.assign(new Error(status.message), { code: status.code, details: status.message || `grpc-status ${status.code}` }));
  }
}
