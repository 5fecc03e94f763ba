import { Server, ServerCredentials } from "@grpc/grpc-js";
import { lenientIngestDefinition } from "./lenient-ingest-definition.js";
import type { Logger } from "../../../shared/log/logger.js";
import { createIngestHandler, type IngestHandlerDeps } from "./ingest-handler.js";

/** PEM material for mutual TLS. */
export interface ServerTls {
  /** CA that signs probe certificates. */
  ca: Buffer;
  /** Collector certificate chain. */
  cert: Buffer;
  /** Collector private key. */
  key: Buffer;
}

/** Where and how the gRPC receiver listens. */
export interface GrpcServerOptions {
  /** Address to bind, e.g. "0.0.0.0" or "127.0.0.1". */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** mTLS material, or "insecure" for plaintext (explicit opt-in only). */
  tls: ServerTls | "insecure";
  logger: Logger;
}

/** A started gRPC receiver. */
export interface StartedGrpcServer {
  /** The port actually bound. */
  port: number;
  /** Stops accepting, waits up to `graceMs` for streams to finish, then cuts them. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts the IngestService on grpc-js. */
export async function startGrpcServer(opts: GrpcServerOptions, deps: Omit<IngestHandlerDeps, "requireIdentity" | "logger">): Promise<StartedGrpcServer> {
  const insecure = opts.tls === "insecure";
  const server = new Server({
    "grpc.max_receive_message_length": deps.limits.maxMessageBytes,
    "grpc.max_send_message_length": 1024 * 1024,
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
  });
  server.addService(lenientIngestDefinition, {
    stream: createIngestHandler({ ...deps, requireIdentity: !insecure, logger: opts.logger }),
  });
  const credentials =
    opts.tls === "insecure"
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(opts.tls.ca, [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }], true);
  if (insecure) opts.logger.warn("gRPC listener is PLAINTEXT without client certificates (insecure mode): any client can report for any host");
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${opts.port}`, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  return {
    port,
    stop: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
