import { z } from "zod";
import type { RuleConfigSchema } from "./rule-config.js";
import { RULES } from "./rules/registry.js";
import { detectSettingsShape } from "./detect-settings.js";

type Rule = (typeof RULES)[number];

/** `detect.rules`: one section per rule, keyed by the rule's configKey, from the rules' own schemas. */
const rulesShape = Object.fromEntries(RULES.map((rule) => [rule.configKey, (rule.configSchema as RuleConfigSchema).prefault({})])) as {
  [R in Rule as R["configKey"]]: z.ZodPrefault<R["configSchema"]>;
};

/** The `detect` section of the collector config: run settings, then `rules.<configKey>` for each rule of rules/registry.ts. */
export const detectConfigSchema = z.strictObject({
  ...detectSettingsShape,
  rules: z.strictObject(rulesShape).prefault({}),
});

/** Validated `detect` configuration. */
export type DetectConfig = z.output<typeof detectConfigSchema>;
/** Per-rule sections of {@link DetectConfig}. */
export type RuleConfigs = DetectConfig["rules"];
