import type { Finding } from "../detect/finding.js";
import type { Incident } from "./incident.js";

/** A direct-to-mx finding on web1 with neutral values. */
export function finding(over: Partial<Finding> = {}): Finding {
  return {
    rule: "direct-to-mx",
    scope: "host",
    scopeHost: "web1",
    subject: "/tmp/x (user www-data)",
    check: "process",
    hosts: ["web1"],
    severityBoost: 0,
    firstSeenMs: 1_000,
    lastSeenMs: 2_000,
    summary: "pid 7 /tmp/x connected to 1 MX",
    counts: { sockets: 1 },
    details: { pid: 7, exe: "/tmp/x", cwd: "/tmp", user: "www-data", comm: "sendmail", exe_sha256: "" },
    evidence: { rows: [], sample_lines: ["line 1"], queue_ids: ["Q1"], message_ids: [] },
    ...over,
  };
}

/** An open incident built from {@link finding}. */
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
    ...over,
  };
}
