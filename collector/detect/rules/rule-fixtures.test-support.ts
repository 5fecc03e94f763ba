// Builders of the rows the rule evaluators take, with neutral defaults.
import { detectConfigSchema } from "../detect-config.js";
import type { WindowTotals } from "../window-totals.js";
import { IpNetworks } from "../../vocabulary/ip-networks.js";

/** Default rule configs. */
export const RULES = detectConfigSchema.parse({}).rules;

/** The default trusted networks (loopback) plus one fleet address. */
export const isFleetAddress = (ip: string): boolean => new IpNetworks(["127.0.0.0/8", "::1/128"]).has(ip) || ip === "198.51.100.10";

/** A WindowTotals with zero counts. */
export function totals(over: Partial<WindowTotals> & Pick<WindowTotals, "hostId" | "kind" | "identity">): WindowTotals {
  return {
    received: 0,
    delivered: 0,
    deferred: 0,
    bounced: 0,
    rejected: 0,
    relayDenied: 0,
    authFailures: 0,
    authSuccesses: 0,
    nullSender: 0,
    relayed: 0,
    relayedRecipients: 0,
    recipientDomains: 0,
    recipients: 0,
    maxClientIps: 0,
    windows: 1,
    firstMs: 1_000_000,
    lastMs: 1_060_000,
    queueIds: [],
    messageIds: [],
    lines: [],
    ...over,
  };
}
