import type { RuleModule } from "./rule.js";
import { RULES } from "./rules/registry.js";
import type { Severity } from "../vocabulary/severity.js";
import type { RemediationFinding } from "./rule.js";

/** Every rule's name, in registry order (config validation, `spamtrace incidents --rule`). */
export const RULE_NAMES = RULES.map((rule) => rule.name) as [string, ...string[]];

/** The module of a rule, by name; undefined for a name no module declares. */
export function ruleNamed(name: string): RuleModule | undefined {
  return (RULES as readonly RuleModule[]).find((rule) => rule.name === name);
}

/** A rule's own base severity (before alert.rules.<rule>.severity and a finding's boost). */
export function defaultSeverity(rule: string): Severity {
  const module = ruleNamed(rule);
  if (!module) throw new RangeError(`no detection rule named ${rule}`);
  return module.severity;
}

/** Next steps for a finding, from its rule's module; mtaKind is the host's MTA ("" when unknown). */
export function remediationSteps(f: RemediationFinding, mtaKind: string): string[] {
  return ruleNamed(f.rule)?.remediation(f, mtaKind) ?? [];
}
