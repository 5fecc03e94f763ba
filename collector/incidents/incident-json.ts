import type { Evidence } from "../vocabulary/finding.js";
import type { Incident } from "./incident.js";

/** An incident as printed by `spamtrace incidents --json` and sent to webhooks. Times are ISO 8601 UTC. */
export interface IncidentJson {
  id: string;
  rule: string;
  severity: string;
  status: string;
  scope: string;
  /** Host ids involved. */
  hosts: string[];
  /** What it names: account, client IP, exe (user), script path, host. */
  subject: string;
  summary: string;
  first_seen: string;
  last_seen: string;
  opened_at: string;
  /** null while open. */
  resolved_at: string | null;
  detections: number;
  counts: Record<string, number>;
  /** Structured subject: pid, exe, cwd, argv, user, client_ips, accounts, listeners, ... */
  details: Record<string, unknown>;
  evidence: Evidence;
  remediation: string[];
  /** The suppression that covers it (recorded, not notified), or null (docs/suppressions.md). */
  suppression: { id: string; reason: string } | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The JSON form of an incident. */
export function incidentToJson(i: Incident): IncidentJson {
  return {
    id: i.id,
    rule: i.rule,
    severity: i.severity,
    status: i.status,
    scope: i.scope,
    hosts: i.hosts,
    subject: i.subject,
    summary: i.summary,
    first_seen: iso(i.firstSeenMs),
    last_seen: iso(i.lastSeenMs),
    opened_at: iso(i.openedAtMs),
    resolved_at: i.resolvedAtMs > 0 ? iso(i.resolvedAtMs) : null,
    detections: i.detections,
    counts: i.counts,
    details: i.details,
    evidence: i.evidence,
    remediation: i.remediation,
    suppression: i.suppressionId === "" ? null : { id: i.suppressionId, reason: i.suppressionReason },
  };
}
