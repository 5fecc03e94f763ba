import { createTransport, type Transporter } from "nodemailer";
import type { IncidentEvent } from "../incidents/incident-tracker.js";
import type { EmailSinkConfig } from "./alert-config.js";
import { notificationText, notificationTitle, webhookPayload } from "./format-notification.js";
import { PermanentSendError, type Sink } from "./notification.js";
import { readSecret } from "./webhook-sink.js";

/** Sends each notification as a plain-text e-mail (with the incident JSON attached) over SMTP with nodemailer. */
export class EmailSink implements Sink {
  readonly type = "email";
  readonly name: string;
  private readonly transport: Transporter;

  constructor(
    private readonly config: EmailSinkConfig,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.name = config.name;
    const password =
      config.passwordFile !== undefined ? readSecret(config.passwordFile, `alert.email[${config.name}].passwordFile`) : (env.SPAMTRACE_ALERT_SMTP_PASSWORD ?? "");
    this.transport = createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      requireTLS: config.requireTls,
      // Without requireTls a server offering STARTTLS with a self-signed certificate must not block alerts.
      ...(config.requireTls ? {} : { tls: { rejectUnauthorized: false } }),
      ...(config.username !== undefined ? { auth: { user: config.username, pass: password } } : {}),
      connectionTimeout: config.timeoutMs,
      greetingTimeout: config.timeoutMs,
      socketTimeout: config.timeoutMs,
    });
  }

  async send(event: IncidentEvent): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.config.from,
        to: this.config.to,
        subject: notificationTitle(event),
        text: notificationText(event),
        headers: { "X-Spamtrace-Incident": event.incident.id, "X-Spamtrace-Event": event.kind },
        attachments: [{ filename: `incident-${event.incident.id}.json`, content: JSON.stringify(webhookPayload(event), null, 2), contentType: "application/json" }],
      });
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      const message = `email ${this.name} via ${this.config.host}:${this.config.port}: ${(error as Error).message}`;
      // 5xx from the server: the message or an address is refused; resending the same will not help.
      if (typeof code === "number" && code >= 500) throw new PermanentSendError(message);
      throw new Error(message, { cause: error });
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
