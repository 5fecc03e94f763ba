import type { Incident } from "./incident.js";

/** An open incident built from finding() in finding-fixtures.test-support.ts. */
export function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: "abc",
    key: "direct-to-mx|host|web1|/tmp/x (user www-data)",
    rule: "direct-to-mx",
    scope: "host",
    scopeHost: "web1",
    subject: "/tmp/x (user www-data)",
    severity: "critical",
    status: "open",
    hosts: ["web1"],
    summary: "pid 7 /tmp/x connected to 1 MX",
    openedAtMs: 1_000,
    firstSeenMs: 1_000,
    lastSeenMs: 2_000,
    updatedAtMs: 3_000,
    resolvedAtMs: 0,
    detections: 1,
    counts: { sockets: 1 },
    details: { pid: 7, exe: "/tmp/x", cwd: "/tmp", checks: ["process"] },
    evidence: { rows: [], sample_lines: ["line 1"], queue_ids: ["Q1"], message_ids: [] },
    remediation: ["Inspect the process on web1: `lsof -Pnp 7`"],
    previousIncidentId: "",
    collectorId: "c1",
    version: 3_000,
    suppressionId: "",
    suppressionReason: "",
    ...over,
  };
}
