import type { Finding } from "./finding.js";

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
