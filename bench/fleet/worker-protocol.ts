// Messages between the fleet benchmark and its probe workers (over IPC).
import type { BatchRows } from "../../test/setup/fleet-batches.js";

/** Run-wide probe settings as they cross IPC (the epoch as text). */
export interface WireProbeSettings {
  addresses: string[];
  epoch: string;
  intervalMs: number;
  plantAtMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  client: "raw" | "grpc-js";
  /** The raw client over plaintext HTTP/2 (h2c) to a collector in grpc.insecure mode: what TLS costs, measured. */
  plaintext?: boolean;
}

/** Parent → worker. */
export type WorkerRequest =
  | { type: "start"; certsDir: string; indexes: number[]; compromised: number[]; floodIndex?: number; floodSockets?: number; spreadMs?: number; settings: WireProbeSettings }
  | { type: "stop-producing" }
  | { type: "report" }
  | { type: "close" };

/** Worker → parent: cumulative counters (latencies since the last report). */
export interface WorkerReport {
  type: "report";
  sent: number;
  acked: number;
  duplicateAcks: number;
  streamErrors: number;
  welcomes: number;
  unacked: number;
  welcomed: number;
  ackLatencyMs: number[];
  welcomeLatencyMs: number[];
  errors: [string, number][];
  rows: BatchRows;
  planted: [string, number][];
  lastWelcome: [string, number][];
}
