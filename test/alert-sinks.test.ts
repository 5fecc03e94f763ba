// The two sinks against real servers on loopback: the webhook (JSON and
// Slack-compatible bodies, bearer token, 4xx permanent / 5xx retryable) and
// e-mail through nodemailer to smtp-server (SMTP AUTH, 5xx permanent).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emailSinkSchema, webhookSinkSchema } from "../collector/config/collector-config.js";
import { EmailSink } from "../collector/alert/email-sink.js";
import { PermanentSendError } from "../collector/alert/notification.js";
import { WebhookSink } from "../collector/alert/webhook-sink.js";
import { incident } from "../collector/incidents/incident-fixtures.test-support.js";

const event = { kind: "open" as const, incident: incident() };

describe("webhook sink", () => {
  let server: Server;
  let url: string;
  let status = 204;
  const got: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-sinks-"));
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        got.push({ headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(status).end(status >= 400 ? "no" : "");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("posts the incident as JSON with the bearer token from its file", async () => {
    await writeFile(join(dir, "token"), "s3cret\n");
    await new WebhookSink(webhookSinkSchema.parse({ name: "h", url, bearerTokenFile: join(dir, "token") })).send(event);
    expect(got.at(-1)!.headers.authorization).toBe("Bearer s3cret");
    expect(got.at(-1)!.body).toMatchObject({ event: "open", incident: { id: "abc", rule: "direct-to-mx", subject: "/tmp/x (user www-data)" } });
  });

  it("posts a Slack-compatible message", async () => {
    await new WebhookSink(webhookSinkSchema.parse({ name: "h", url, format: "slack" })).send(event);
    expect(got.at(-1)!.body.text).toBe("[spamtrace] OPENED critical direct-to-mx on web1: /tmp/x (user www-data)\npid 7 /tmp/x connected to 1 MX");
    expect(Array.isArray(got.at(-1)!.body.blocks)).toBe(true);
  });

  it("treats 4xx as permanent and 5xx / 429 as retryable", async () => {
    const sink = new WebhookSink(webhookSinkSchema.parse({ name: "h", url }));
    status = 400;
    await expect(sink.send(event)).rejects.toThrow(new PermanentSendError("webhook h answered HTTP 400: no"));
    for (const s of [429, 503]) {
      status = s;
      const error = await sink.send(event).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PermanentSendError);
    }
    status = 204;
  });

  it("names a missing token file without its content", () => {
    expect(() => new WebhookSink(webhookSinkSchema.parse({ name: "h", url, bearerTokenFile: join(dir, "missing") }))).toThrow(`alert.webhooks[h].bearerTokenFile ${join(dir, "missing")} cannot be read: ENOENT`);
  });
});

describe("e-mail sink", () => {
  let server: SMTPServer;
  let port: number;
  const messages: { user: string | undefined; raw: string }[] = [];
  let refuse = false;
  beforeAll(async () => {
    server = new SMTPServer({
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      authOptional: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === "alerts" && auth.password === "pw") callback(null, { user: "alerts" });
        else callback(new Error("Invalid username or password"));
      },
      onRcptTo(_address, _session, callback) {
        if (refuse) callback(Object.assign(new Error("mailbox unavailable"), { responseCode: 550 }));
        else callback();
      },
      onData(stream, session, callback) {
        let raw = "";
        stream.on("data", (c: Buffer) => (raw += c.toString()));
        stream.on("end", () => {
          messages.push({ user: session.user as string | undefined, raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("sends a text e-mail with the incident JSON attached, authenticating with the password from the environment", async () => {
    const sink = new EmailSink(emailSinkSchema.parse({ name: "m", host: "127.0.0.1", port, username: "alerts", from: "spamtrace@c.test", to: ["abuse@p.test"] }), { SPAMTRACE_ALERT_SMTP_PASSWORD: "pw" });
    await sink.send(event);
    await sink.close();
    expect(messages.at(-1)!.user).toBe("alerts");
    expect(messages.at(-1)!.raw).toContain("X-Spamtrace-Incident: abc");
    expect(messages.at(-1)!.raw).toContain('filename=incident-abc.json');
  });

  it("a 5xx refusal is permanent", async () => {
    refuse = true;
    const sink = new EmailSink(emailSinkSchema.parse({ name: "m", host: "127.0.0.1", port, to: ["abuse@p.test"] }));
    await expect(sink.send(event)).rejects.toBeInstanceOf(PermanentSendError);
    await sink.close();
    refuse = false;
  });
});
