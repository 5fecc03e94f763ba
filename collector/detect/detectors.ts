import type { DetectConfig } from "./detect-config.js";
import type { Detector } from "./detector.js";
import type { ConfigOf, RuleModule } from "./rule.js";
import type { RuleConfigBase } from "./rule-config.js";
import { ruleNamed } from "./rule-catalog.js";
import { RULES } from "./rules/registry.js";

/** The detectors of every enabled rule, in registry order. */
export function buildDetectors(config: DetectConfig): Detector[] {
  const sections = config.rules as Readonly<Record<string, RuleConfigBase>>;
  const configOf = ((rule: Pick<RuleModule, "configKey">) => sections[rule.configKey]) as ConfigOf;
  return (RULES as readonly RuleModule[]).flatMap((rule) => {
    const section = sections[rule.configKey]!;
    return section.enabled ? rule.detectors(section, configOf) : [];
  });
}

/** Quiet period of a rule, minutes: its own override or detect.quietMinutes. */
export function quietMinutesFor(config: DetectConfig, rule: string): number {
  const key = ruleNamed(rule)?.configKey;
  const section = key === undefined ? undefined : (config.rules as Readonly<Record<string, RuleConfigBase>>)[key];
  return section?.quietMinutes ?? config.quietMinutes;
}
