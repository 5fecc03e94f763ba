import type { DetectContext } from "./detect-context.js";
import type { Finding, RuleName } from "../vocabulary/finding.js";

/**
 * One check of one rule: SQL against ClickHouse (so every collector sees the
 * whole fleet), then a pure evaluation of the rows into findings.
 */
export interface Detector {
  /** "<rule>/<check>", for logs and metrics. */
  readonly name: string;
  readonly rule: RuleName;
  /** Findings of this run; throws on store errors (the runner logs and counts them). */
  detect(ctx: DetectContext): Promise<Finding[]>;
}
