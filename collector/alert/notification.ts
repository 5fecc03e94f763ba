import type { IncidentEvent } from "../incidents/incident-tracker.js";

/** One message to send to one sink. */
export interface Notification {
  event: IncidentEvent;
  /** Sink name. */
  sink: string;
  /** When the router accepted it, ms. */
  queuedAtMs: number;
}

/** Thrown by a sink when retrying cannot help (HTTP 4xx other than 408/429, SMTP 5xx, bad address). */
export class PermanentSendError extends Error {
  override name = "PermanentSendError";
}

/** Where notifications go: a webhook or an e-mail list. */
export interface Sink {
  readonly name: string;
  readonly type: "webhook" | "email";
  /** Sends one notification; throws PermanentSendError or any other error (retried). */
  send(event: IncidentEvent): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
