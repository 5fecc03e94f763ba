import type { z } from "zod";
import type { Detector } from "./detector.js";
import type { Finding } from "../vocabulary/finding.js";
import type { RuleConfigSchema } from "./rule-config.js";
import type { Severity } from "../vocabulary/severity.js";

/** One row of the rules table in collector/detect/README.md (one per check of the rule). */
export interface RuleDocRow {
  /** The check ("volume / spread", "queue", "fleet-same-exe (fleet)"). */
  check: string;
  /** Tables and columns it reads. */
  data: string;
  /** When it fires, with the default thresholds. */
  firesWhen: string;
  /** What the incident names. */
  subject: string;
}

/** What a rule's remediation steps may read of a finding. */
export type RemediationFinding = Pick<Finding, "rule" | "check" | "subject" | "scopeHost" | "hosts" | "details" | "evidence">;

/** Another rule's config, for a rule that depends on it (backscatter reads openRelay.filterRelayPorts). */
export type ConfigOf = <S extends RuleConfigSchema>(rule: Pick<RuleModule<string, S>, "configKey" | "configSchema">) => z.output<S>;

/**
 * Everything about one detection rule, in one module: adding a rule is
 * writing one of these and listing it in rules/registry.ts.
 */
export interface RuleModule<K extends string = string, S extends RuleConfigSchema = RuleConfigSchema> {
  /** Name in incidents, `alert.rules.<name>`, `spamtrace incidents --rule` and the `alerts` table. */
  readonly name: string;
  /** Key of its section in `detect.rules` (camelCase of the name). */
  readonly configKey: K;
  /** Its `detect.rules.<configKey>` section, with defaults (build it with ruleConfigSchema). */
  readonly configSchema: S;
  /** Base severity of its incidents (alert.rules.<name>.severity overrides it; a finding may raise it). */
  readonly severity: Severity;
  /** Its checks under this config (called only when the rule is enabled). */
  detectors(config: z.output<S>, configOf: ConfigOf): Detector[];
  /** Next steps for an analyst, citing the provider's troubleshooting guide; mtaKind is the host's MTA ("" when unknown). */
  remediation(f: RemediationFinding, mtaKind: string): string[];
  /** Its rows in the rules table of collector/detect/README.md. */
  readonly doc: readonly RuleDocRow[];
}

/** Declares a rule, keeping the literal config key and schema types (for the typed `detect.rules` section). */
export function defineRule<const K extends string, S extends RuleConfigSchema>(rule: RuleModule<K, S>): RuleModule<K, S> {
  return rule;
}
