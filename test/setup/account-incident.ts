import type { Incident } from "../../collector/incidents/incident.js";

/** An open compromised-account incident on one host naming `account` (id `inc-<hostId>`): what `spamtrace remediate` plans for. */
export function incidentFor(hostId: string, account: string): Incident {
  const now = Date.now();
  return {
    id: `inc-${hostId}`,
    key: `compromised-account|host|${hostId}|${account}`,
    rule: "compromised-account",
    scope: "host",
    scopeHost: hostId,
    subject: account,
    severity: "high",
    status: "open",
    hosts: [hostId],
    summary: `${account} sent far above its baseline`,
    openedAtMs: now,
    firstSeenMs: now,
    lastSeenMs: now,
    updatedAtMs: now,
    resolvedAtMs: 0,
    detections: 1,
    counts: {},
    details: { account },
    evidence: { rows: [], sample_lines: [], queue_ids: [], message_ids: [] },
    remediation: [],
    previousIncidentId: "",
    collectorId: "test",
    version: now,
    suppressionId: "",
    suppressionReason: "",
  };
}
