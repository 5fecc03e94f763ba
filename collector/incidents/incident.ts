import { createHash } from "node:crypto";
import type { Evidence, Finding, RuleName, Scope } from "../vocabulary/finding.js";
import type { Severity } from "../vocabulary/severity.js";

/** Whether an incident still has activity. */
export type IncidentStatus = "open" | "resolved";

/** One incident: the current state of an `alerts` row. */
export interface Incident {
  /** Deterministic: every collector computes the same id for the same episode (see {@link incidentId}). */
  id: string;
  /** rule|scope|host|subject: what makes two findings the same incident. */
  key: string;
  rule: RuleName;
  scope: Scope;
  /** Host of a host-scoped incident; "" for fleet incidents. */
  scopeHost: string;
  subject: string;
  severity: Severity;
  status: IncidentStatus;
  hosts: string[];
  summary: string;
  openedAtMs: number;
  firstSeenMs: number;
  lastSeenMs: number;
  updatedAtMs: number;
  /** 0 while open. */
  resolvedAtMs: number;
  /** Detection runs that saw it. */
  detections: number;
  counts: Record<string, number>;
  details: Record<string, unknown>;
  evidence: Evidence;
  remediation: string[];
  /** The incident of the same key before this one ("" for the first). */
  previousIncidentId: string;
  /** Collector that wrote this version. */
  collectorId: string;
  /** ReplacingMergeTree version: the newest wins. */
  version: number;
  /** The suppression covering it ("" when none): recorded, not notified (collector/suppress/). */
  suppressionId: string;
  /** That suppression's reason ("" when none). */
  suppressionReason: string;
}

/** The key findings and incidents are matched on: (rule, scope, host, subject). */
export function incidentKey(f: Pick<Finding, "rule" | "scope" | "scopeHost" | "subject">): string {
  return [f.rule, f.scope, f.scopeHost, f.subject].join("|");
}

/**
 * Id of the next incident of `key`: a hash of the key and of the incident
 * that preceded it. Every collector reading the same `alerts` table derives
 * the same id, so concurrent openers write the same row (ReplacingMergeTree
 * collapses them). A time bucket in the hash would split one episode in two
 * whenever two collectors straddle a bucket boundary; chaining on the
 * previous incident does not.
 */
export function incidentId(key: string, previousIncidentId: string): string {
  return createHash("sha256").update(`${key}\n${previousIncidentId}`).digest("hex").slice(0, 24);
}
