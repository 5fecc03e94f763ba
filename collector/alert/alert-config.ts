import { z } from "zod";
import { SEVERITIES, type Severity } from "../vocabulary/severity.js";

/** Default notifications per sink per minute. */
export const DEFAULT_MAX_PER_MINUTE = 20;
/** Default pending notifications per sink before new ones are dropped. */
export const DEFAULT_MAX_QUEUED = 1_000;

const severity = z.enum(SEVERITIES);
const sinkName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'");

/**
 * The `alert` section of the collector config, for these rule names (the
 * detection rules' registry, passed in by collector/config so that alerting
 * does not depend on detection): a misspelt rule in `alert.rules` or a sink's
 * `rules` is an error naming the key.
 */
export function alertConfigSchemaFor(ruleNames: readonly [string, ...string[]]) {
  const ruleList = z.array(z.enum(ruleNames));

  /** Which incidents a sink receives. */
  const sinkFilter = {
    /** Sink name, used in `alert.rules.<rule>.sinks` and in alert_notifications. */
    name: sinkName,
    /** Lowest severity sent to this sink. */
    minSeverity: severity.default("low"),
    /** Only these rules (default: every rule). */
    rules: ruleList.optional(),
    /** Per-request timeout, ms. */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  };

  /** A webhook receiving JSON (or a Slack-compatible message). */
  const webhookSinkSchema = z.strictObject({
    ...sinkFilter,
    /** URL to POST to. */
    url: z.url({ protocol: /^https?$/ }),
    /** "json": the incident as JSON; "slack": a Slack/Mattermost incoming-webhook message (text + blocks). */
    format: z.enum(["json", "slack"]).default("json"),
    /** File holding a bearer token sent as `Authorization: Bearer ...` (never put secrets in the config itself). */
    bearerTokenFile: z.string().min(1).optional(),
  });

  /** An e-mail recipient list reached over SMTP (nodemailer). */
  const emailSinkSchema = z.strictObject({
    ...sinkFilter,
    /** SMTP server (the provider's relay). */
    host: z.string().min(1),
    /** SMTP port. */
    port: z.number().int().min(1).max(65535).default(25),
    /** TLS from the first byte (port 465). */
    secure: z.boolean().default(false),
    /** Refuse to send unless the server offers STARTTLS. */
    requireTls: z.boolean().default(false),
    /** SMTP AUTH user (password from passwordFile, else env SPAMTRACE_ALERT_SMTP_PASSWORD). */
    username: z.string().min(1).optional(),
    /** File holding the SMTP password. */
    passwordFile: z.string().min(1).optional(),
    /** From: address. */
    from: z.string().min(3).default("spamtrace <spamtrace@localhost>"),
    /** Recipients. */
    to: z.array(z.string().min(3)).min(1),
  });

  /** Per-rule severity and routing. */
  const ruleRoute = z.strictObject({
    /** Base severity of the rule's incidents (default: the severity its module declares). */
    severity: severity.optional(),
    /** Sinks (by name) this rule goes to; default: every sink whose filter accepts it. */
    sinks: z.array(sinkName).optional(),
  });

  /** The `alert` section of the collector config. */
  return z
    .strictObject({
      /** Incident events that notify: opened, escalated (severity went up), resolved. Updates never notify. */
      events: z.array(z.enum(["open", "escalate", "resolve"])).default(["open", "escalate", "resolve"]),
      /** Notifications per sink per minute (token bucket); more wait in the sink's queue. */
      maxPerMinute: z.number().int().min(1).max(10_000).default(DEFAULT_MAX_PER_MINUTE),
      /** Pending notifications per sink beyond which new ones are dropped (logged at ERROR, recorded as dropped). */
      maxQueued: z.number().int().min(1).max(1_000_000).default(DEFAULT_MAX_QUEUED),
      retry: z
        .strictObject({
          /** Attempts per notification, the first included. */
          attempts: z.number().int().min(1).max(20).default(5),
          /** Shortest delay between attempts, ms; each retry waits a random time up to this × 2^retry (full jitter), at most maxDelayMs. */
          initialDelayMs: z.number().int().min(10).max(600_000).default(1_000),
          /** Longest delay between attempts, ms. */
          maxDelayMs: z.number().int().min(10).max(3_600_000).default(60_000),
        })
        .prefault({}),
      /** JSON / Slack webhooks. */
      webhooks: z.array(webhookSinkSchema).default([]),
      /** E-mail over SMTP. */
      email: z.array(emailSinkSchema).default([]),
      /** Per-rule severity and sinks, keyed by rule name (compromised-account, open-relay, ...). */
      rules: z.partialRecord(z.enum(ruleNames), ruleRoute).default({}),
    })
    .superRefine((config, ctx) => {
      const seen = new Set<string>();
      const sinks = [...config.webhooks.map((s, i) => ["webhooks", i, s.name] as const), ...config.email.map((s, i) => ["email", i, s.name] as const)];
      for (const [list, index, name] of sinks) {
        if (seen.has(name)) ctx.addIssue({ code: "custom", message: `sink name ${name} is used twice`, path: [list, index, "name"] });
        seen.add(name);
      }
      for (const [rule, route] of Object.entries(config.rules)) {
        for (const sink of route?.sinks ?? []) {
          if (!seen.has(sink)) ctx.addIssue({ code: "custom", message: `sink ${sink} is not defined in alert.webhooks or alert.email`, path: ["rules", rule, "sinks"] });
        }
      }
    });
}

/** Validated `alert` configuration. */
export type AlertConfig = z.output<ReturnType<typeof alertConfigSchemaFor>>;
/** One webhook sink. */
export type WebhookSinkConfig = AlertConfig["webhooks"][number];
/** One e-mail sink. */
export type EmailSinkConfig = AlertConfig["email"][number];

/** The base severity of a rule under this config: alert.rules.<rule>.severity, else the rule's own. */
export function ruleSeverity(config: AlertConfig, rule: string, ruleDefault: Severity): Severity {
  return config.rules[rule]?.severity ?? ruleDefault;
}
