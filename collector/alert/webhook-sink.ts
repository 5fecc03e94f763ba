import { readFileSync } from "node:fs";
import type { IncidentEvent } from "../incidents/incident-tracker.js";
import type { WebhookSinkConfig } from "./alert-config.js";
import { slackPayload, webhookPayload } from "./format-notification.js";
import { PermanentSendError, type Sink } from "./notification.js";

/** POSTs each notification as JSON (or a Slack-compatible message) to a URL. */
export class WebhookSink implements Sink {
  readonly type = "webhook";
  readonly name: string;
  private readonly token: string | undefined;

  constructor(private readonly config: WebhookSinkConfig) {
    this.name = config.name;
    this.token = config.bearerTokenFile === undefined ? undefined : readSecret(config.bearerTokenFile, `alert.webhooks[${config.name}].bearerTokenFile`);
  }

  async send(event: IncidentEvent): Promise<void> {
    const body = this.config.format === "slack" ? slackPayload(event) : webhookPayload(event);
    let response: Response;
    try {
      response = await fetch(this.config.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "spamtrace-alert", ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (error) {
      throw new Error(`webhook ${this.name}: ${(error as Error).message}`, { cause: error });
    }
    // Drain the body so the connection can be reused.
    const text = await response.text().catch(() => "");
    if (response.ok) return;
    const message = `webhook ${this.name} answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
    // 408 and 429 ask to come back later; other 4xx will not change by retrying.
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) throw new PermanentSendError(message);
    throw new Error(message);
  }

  async close(): Promise<void> {}
}

/** Reads a one-line secret file; the error names the config key, never the content. */
export function readSecret(path: string, key: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new Error(`${key} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
