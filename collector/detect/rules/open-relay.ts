import { REMOTE_DELIVERY_PREFILTER } from "../classify-delivery-line.js";
import { lookbackStart, type DetectContext } from "../detect-context.js";
import type { Detector } from "../detector.js";
import type { Finding } from "../../vocabulary/finding.js";
import { latestRelayPolicies } from "../relay-policies.js";
import { dateTimeAt, inList, strings } from "../../store/clickhouse/sql.js";
import { windowTotals } from "../window-totals.js";
import { openRelayConfigDetector } from "./open-relay-config-check.js";
import { evaluateOpenRelay } from "./open-relay-passive.js";

export { evaluateOpenRelay } from "./open-relay-passive.js";
export { evaluateRelayConfig } from "./open-relay-config-check.js";
import { z } from "zod";
import { count, minutes, port, ruleConfigSchema } from "../rule-config.js";
import { defineRule } from "../rule.js";
import { delistStep, onHosts, purgeQueueStep } from "../remediation-steps.js";

/** detect.rules.openRelay: clients relaying (passive) and open-relay settings of the MTA's configuration (config). */
export const openRelayConfigSchema = ruleConfigSchema(
  {
    /** Windows looked at, minutes (deliveries of a message may land in the minutes after it was received). */
    lookbackMinutes: minutes(10),
    /** Relayed messages from one outside client (unauthenticated, not permitted, to an unserved domain) before it counts. */
    minMessages: count(1),
    /** Loopback ports of content filters (amavis, spamassassin): a hop to them is not remote delivery. */
    filterRelayPorts: z.array(port).default([10024, 10025, 10026, 10027]),
  },
  // Open relays stay open until fixed; a long quiet period avoids re-opening between relay-check runs.
  { quietMinutes: 120 },
);

type Config = z.output<typeof openRelayConfigSchema>;

/**
 * open-relay (passive): clients that relayed through the host, judged by
 * destination and permission (see evaluateOpenRelay in open-relay-passive.ts):
 * on hosts whose probe sent a relay policy, `mail_windows.relayed` counts
 * every message accepted without authentication from outside the permitted
 * networks for a domain the host does not serve; elsewhere the sampled
 * delivery lines of unauthenticated clients are classified.
 */
export function openRelayDetector(config: Config): Detector {
  return {
    name: "open-relay/passive",
    rule: "open-relay",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.lookbackMinutes);
      const [byDestination, byAgent, policies] = await Promise.all([
        windowTotals(ctx, { kinds: ["client_ip"], fromMs, filter: { relayed: config.minMessages } }),
        // Only unauthenticated clients come back: on a busy MX most client IPs deliver mail, and these rows carry sample lines.
        windowTotals(ctx, { kinds: ["client_ip"], fromMs, filter: { deliveries: 1, all: { received: config.minMessages, noAuthSuccesses: true, lineMatches: REMOTE_DELIVERY_PREFILTER } } }),
        latestRelayPolicies(ctx),
      ]);
      const seen = new Set(byDestination.map((t) => `${t.hostId} ${t.identity}`));
      const totals = [...byDestination, ...byAgent.filter((t) => !seen.has(`${t.hostId} ${t.identity}`))];
      const findings = evaluateOpenRelay(totals, config, ctx.isFleetAddress, policies);
      if (findings.length > 0) await addListeners(ctx, findings, fromMs);
      return findings;
    },
  };
}

// The socket view names the listener (address:port) the relaying clients talked to.
async function addListeners(ctx: DetectContext, findings: Finding[], fromMs: number): Promise<void> {
  const clients = findings.flatMap((f) => strings(f.details.clients));
  const rows = await ctx.store.query<Record<string, unknown>>(
    `SELECT host_id, groupUniqArray(concat(local_address, ':', toString(local_port))) AS listeners
FROM ${ctx.table("socket_snapshots")}
WHERE direction = 'inbound' AND host_id IN ${inList(findings.map((f) => f.scopeHost))} AND remote_address IN ${inList(clients)}
  AND observed_at >= ${dateTimeAt(fromMs)} AND observed_at <= ${dateTimeAt(ctx.nowMs + 60_000)}
GROUP BY host_id`,
  );
  for (const r of rows) {
    const finding = findings.find((f) => f.scopeHost === String(r.host_id));
    if (finding) finding.details.listeners = strings(r.listeners).sort();
  }
}

/** open-relay: the configuration opens the relay (config), mail relayed for unauthenticated outside clients (passive), or a relay check that got 2xx (active). */
export const openRelayRule = defineRule({
  name: "open-relay",
  configKey: "openRelay",
  configSchema: openRelayConfigSchema,
  severity: "critical",
  detectors: (config) => [openRelayConfigDetector(), openRelayDetector(config)],
  remediation(f, mtaKind) {
    const on = onHosts(f);
    const listeners = f.details.listeners as string[] | undefined;
    const settings = strings(f.details.settings);
    const files = strings(f.details.files);
    return [
      ...(f.check === "config" ? [`Fix ${settings.map((s, i) => `${s} in ${files[i] ?? "?"}`).join(", ")}${on}: the probe found these open the relay.`] : []),
      mtaKind === "exim"
        ? `Restrict relaying${on}: set relay_from_hosts to your own networks only and require authentication for everyone else, then restart Exim [guide step 3.3: le paramétrage doit être revu].`
        : `Restrict relaying${on}: mynetworks must list only your own networks and smtpd_relay_restrictions must end with reject_unauth_destination (permit_sasl_authenticated before it), then \`postfix reload\` [guide step 3.3: le paramétrage doit être revu].`,
      `Confirm with \`spamtrace relay-check ${typeof listeners?.[0] === "string" ? listeners[0] : f.scopeHost}\` that outside recipients are now refused.`,
      purgeQueueStep(f, mtaKind),
      delistStep(f),
    ];
  },
  doc: [
    {
      check: "config",
      data: "relay_policies (latest per host)",
      firesWhen:
        "the probe read an open-relay setting in the MTA's configuration: mynetworks / relay_from_hosts / Sendmail access RELAY / qmail RELAYCLIENT covering the Internet (`*`, 0.0.0.0/0, ::/0, a prefix shorter than /8), smtpd_relay_restrictions and smtpd_recipient_restrictions (main.cf or a master.cf service) that both reach permit without reject_unauth_destination, an Exim RCPT ACL that accepts any domain from any host, qmail without rcpthosts — at once, before any mail flows; names each setting and its file",
      subject: "the host",
    },
    {
      check: "passive",
      data: "mail_windows `client_ip` (`relayed`), relay_policies",
      firesWhen:
        "a client outside the host's permitted networks (mynetworks, relay_from_hosts) sent ≥ 1 message in 10 min that the probe counted as relayed: accepted without authentication for a domain the host does not serve (from the MTA's own served-domain lists), whatever agent then took it — Postfix's `error` agent for a dead next hop included. Hosts without a relay policy (older probes, unreadable configuration) or with partial domain lists fall back to the sampled delivery lines of unauthenticated clients (Postfix smtp/relay, Exim remote_smtp / dnslookup, Sendmail esmtp, qmail \"to remote\"; content-filter hops and alias forwards excluded), still skipping permitted clients. Listener from inbound socket_snapshots",
      subject: "the host",
    },
    { check: "active", data: "`relayCheck.schedule`", firesWhen: "the scheduled check got 2xx to RCPT TO for an outside recipient", subject: "the host owning the address" },
  ],
});
