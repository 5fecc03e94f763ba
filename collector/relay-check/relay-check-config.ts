import { hostname } from "node:os";
import { z } from "zod";

/** Default SMTP port of a relay check target. */
export const DEFAULT_RELAY_CHECK_PORT = 25;
/** Default timeout of each SMTP step, ms. */
export const DEFAULT_RELAY_CHECK_TIMEOUT_MS = 10_000;
/** Default checks running at once. */
export const DEFAULT_RELAY_CHECK_CONCURRENCY = 4;

const address = z.string().regex(/^[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+$/, "must be an e-mail address (local@domain)");

/** The `relayCheck` section of the collector config: the opt-in active open-relay check. */
export const relayCheckConfigSchema = z.strictObject({
  /**
   * The fleet: host names (exact, or ".example.net" for a whole domain) and
   * IP addresses / CIDR blocks the check may connect to. Anything else is
   * refused before any connection is made. Empty = every target refused.
   */
  allowedTargets: z.array(z.string().min(1)).default([]),
  /** Envelope sender (MAIL FROM); use a real outside domain you control so servers that verify sender domains answer honestly. */
  mailFrom: address.default("relay-check@example.com"),
  /** Outside recipients tried with RCPT TO (DATA is never sent). */
  recipients: z.array(address).min(1).default(["relay-check@example.net", "relay-check@example.org"]),
  /** Name sent with EHLO/HELO. */
  heloName: z.string().min(1).default(hostname()),
  /**
   * Local address to connect from. It must be outside the targets' trusted
   * networks (Postfix mynetworks, Exim relay_from_hosts): from inside them a
   * correctly closed relay accepts, and the check would report it open.
   */
  localAddress: z.string().min(1).optional(),
  /** Port used when a target has none. */
  port: z.number().int().min(1).max(65535).default(DEFAULT_RELAY_CHECK_PORT),
  /** Timeout of the connection and of each SMTP reply, ms. */
  timeoutMs: z.number().int().min(100).max(120_000).default(DEFAULT_RELAY_CHECK_TIMEOUT_MS),
  /** Checks running at once (p-limit). */
  concurrency: z.number().int().min(1).max(64).default(DEFAULT_RELAY_CHECK_CONCURRENCY),
  schedule: z
    .strictObject({
      /** Run the check periodically from the collector (opt-in); one collector per interval runs it (claimed). */
      enabled: z.boolean().default(false),
      /** Minutes between two scheduled runs. */
      intervalMinutes: z.number().int().min(1).max(10_080).default(60),
      /** HOST[:PORT] targets of the scheduled run; each must be allowed by allowedTargets. */
      targets: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
});

/** Validated `relayCheck` configuration. */
export type RelayCheckConfig = z.output<typeof relayCheckConfigSchema>;
