import { z } from "zod";
import { isCidr } from "../vocabulary/ip-networks.js";

// Building blocks of the rules' config schemas (detect.rules.<configKey>), so
// every rule spells a lookback, a count or a share with the same bounds.

/** An IP address or CIDR block. */
export const cidr = z.string().refine(isCidr, { message: "must be an IP address or CIDR block (10.0.0.0/8, 2001:db8::/32)" });
/** A period in minutes, 1 minute .. 1 week. */
export const minutes = (def: number) => z.number().int().min(1).max(10_080).default(def);
/** A positive count. */
export const count = (def: number) => z.number().int().min(1).default(def);
/** A multiple of a baseline or threshold, 1..1000. */
export const multiplier = (def: number) => z.number().min(1).max(1000).default(def);
/** A share in (0, 1]. */
export const share = (def: number) => z.number().gt(0).max(1).default(def);
/** A TCP port. */
export const port = z.number().int().min(1).max(65535);

/** Per-rule override of the global quiet period; absent = detect.quietMinutes. */
const quietMinutes = z.number().int().min(1).max(10_080).optional();

/**
 * A rule's config section: `enabled` first, the rule's own keys, then
 * `quietMinutes` (per-rule override of detect.quietMinutes, with a default
 * when the rule needs one). Unknown keys are errors that name the key.
 */
export function ruleConfigSchema<T extends z.ZodRawShape>(shape: T, opts: { quietMinutes?: number } = {}) {
  return z.strictObject({
    /** Run this rule. */
    enabled: z.boolean().default(true),
    ...shape,
    /** Per-rule override of detect.quietMinutes (incident resolved after this long without activity), minutes. */
    quietMinutes: opts.quietMinutes === undefined ? quietMinutes : quietMinutes.default(opts.quietMinutes),
  });
}

/** What every rule's validated config section has. */
export type RuleConfigBase = {
  enabled: boolean;
  quietMinutes?: number | undefined;
  [key: string]: unknown;
};

/** What every rule's config section schema is. */
export type RuleConfigSchema = ReturnType<typeof ruleConfigSchema<z.ZodRawShape>>;
