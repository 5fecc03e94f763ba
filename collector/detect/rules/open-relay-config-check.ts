import type { Detector } from "../detector.js";
import { latestRelayPolicies, type HostRelayPolicy } from "../relay-policies.js";
import type { Finding } from "../../vocabulary/finding.js";

/**
 * open-relay/config: the MTA's own configuration makes it an open relay —
 * mynetworks / relay_from_hosts covering the Internet, relay restrictions
 * that reach permit without reject_unauth_destination, an Exim RCPT ACL that
 * accepts any domain from any host. The probe finds these when it reads the
 * relay policy (at start and on every change), so this fires before any
 * spam flows, naming each setting and its file.
 */
export function openRelayConfigDetector(): Detector {
  return {
    name: "open-relay/config",
    rule: "open-relay",
    async detect(ctx) {
      return evaluateRelayConfig([...(await latestRelayPolicies(ctx)).values()], ctx.nowMs);
    },
  };
}

/** Pure part: the latest policy of each host → one finding per host whose policy lists open-relay settings. */
export function evaluateRelayConfig(policies: readonly HostRelayPolicy[], nowMs: number): Finding[] {
  return policies
    .filter((p) => p.findings.length > 0)
    .map((p): Finding => {
      const named = p.findings.map((f) => `${f.setting} in ${f.file}`);
      return {
        rule: "open-relay",
        scope: "host",
        scopeHost: p.hostId,
        subject: p.hostId,
        check: "config",
        hosts: [p.hostId],
        severityBoost: 0,
        firstSeenMs: p.observedAtMs,
        lastSeenMs: Math.max(p.observedAtMs, nowMs),
        summary: `${p.hostId}'s ${p.mta} configuration makes an open relay: ${named.join("; ")} (${p.findings[0]!.reason})`,
        counts: { settings: p.findings.length },
        details: {
          mta: p.mta,
          settings: p.findings.map((f) => f.setting),
          files: p.findings.map((f) => f.file),
          values: p.findings.map((f) => f.value),
          reasons: p.findings.map((f) => f.reason),
          relay_policy_hash: p.hash,
        },
        evidence: {
          rows: [
            {
              table: "relay_policies",
              host_id: p.hostId,
              at_unix_ms: p.observedAtMs,
              values: Object.fromEntries(p.findings.map((f) => [`${f.setting} (${f.file})`, f.value])),
            },
          ],
          sample_lines: p.findings.map((f) => `${f.file}: ${f.setting} = ${f.value}`),
          queue_ids: [],
          message_ids: [],
        },
      };
    });
}
