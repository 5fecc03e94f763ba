import { classifyDeliveryLine, domainOfAddress, REMOTE_DELIVERY_PREFILTER } from "../classify-delivery-line.js";
import { lookbackStart, type DetectContext } from "../detect-context.js";
import type { Detector } from "../detector.js";
import { uniqueStrings, type EvidenceRow, type Finding } from "../../vocabulary/finding.js";
import { dateTimeAt, inList, strings } from "../../store/clickhouse/sql.js";
import { windowTotals, type WindowTotals } from "../window-totals.js";
import { z } from "zod";
import { count, minutes, port, ruleConfigSchema } from "../rule-config.js";
import { defineRule } from "../rule.js";
import { delistStep, onHosts, purgeQueueStep } from "../remediation-steps.js";

/** detect.rules.openRelay (passive): unauthenticated outside clients whose mail is handed to remote delivery. */
export const openRelayConfigSchema = ruleConfigSchema(
  {
    /** Windows looked at, minutes (deliveries of a message may land in the minutes after it was received). */
    lookbackMinutes: minutes(10),
    /** Unauthenticated messages from one outside client before its remote deliveries count. */
    minMessages: count(1),
    /** Loopback ports of content filters (amavis, spamassassin): a hop to them is not remote delivery. */
    filterRelayPorts: z.array(port).default([10024, 10025, 10026, 10027]),
  },
  // Open relays stay open until fixed; a long quiet period avoids re-opening between relay-check runs.
  { quietMinutes: 120 },
);

type Config = z.output<typeof openRelayConfigSchema>;

/**
 * open-relay (passive): mail accepted from an outside client that never
 * authenticated in the lookback (its client_ip windows count no auth
 * success) and handed to remote delivery, seen in the sampled delivery lines
 * of that client's messages (Postfix smtp/relay agent, Exim remote_smtp /
 * dnslookup, Sendmail esmtp, qmail "to remote"). Inbound mail for local
 * mailboxes has only local delivery lines and stays silent, and so does mail
 * forwarded by an alias (Postfix `orig_to=`, Exim `=> new <original>`); so
 * does a closed relay, whose refusals only raise relay_denied.
 *
 * Limits, from what the windows carry: a client that authenticated for some
 * messages and relayed others in the same lookback is not flagged (the
 * per-window counts cannot separate them; the active relay check covers it),
 * and only the ≤ 5 sampled lines per client and minute are classified.
 */
export function openRelayDetector(config: Config): Detector {
  return {
    name: "open-relay/passive",
    rule: "open-relay",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.lookbackMinutes);
      // Only unauthenticated clients come back: on a busy MX most client IPs deliver mail, and these rows carry sample lines.
      const totals = await windowTotals(ctx, { kinds: ["client_ip"], fromMs, filter: { deliveries: 1, all: { received: config.minMessages, noAuthSuccesses: true, lineMatches: REMOTE_DELIVERY_PREFILTER } } });
      const findings = evaluateOpenRelay(totals, config, ctx.isFleetAddress);
      if (findings.length > 0) await addListeners(ctx, findings, fromMs);
      return findings;
    },
  };
}

/** Pure part: client_ip totals → one finding per host that relayed for outside clients. */
export function evaluateOpenRelay(totals: readonly WindowTotals[], config: Config, isFleetAddress: (ip: string) => boolean): Finding[] {
  const byHost = new Map<string, { t: WindowTotals; remote: string[]; recipients: string[] }[]>();
  for (const t of totals) {
    if (t.received < config.minMessages || t.authSuccesses > 0 || isFleetAddress(t.identity)) continue;
    const remote: string[] = [];
    const recipients: string[] = [];
    for (const line of t.lines) {
      const d = classifyDeliveryLine(line, config.filterRelayPorts);
      // A forward (alias to an outside mailbox) is inbound mail re-sent by its owner's choice, not relaying.
      if (d?.kind !== "remote" || d.forwarded) continue;
      remote.push(line);
      if (d.recipient) recipients.push(d.recipient);
    }
    if (remote.length === 0) continue;
    byHost.set(t.hostId, [...(byHost.get(t.hostId) ?? []), { t, remote, recipients }]);
  }
  const findings: Finding[] = [];
  for (const [hostId, clients] of byHost) {
    const relayed = clients.reduce((s, c) => s + c.t.received, 0);
    const recipients = uniqueStrings(clients.flatMap((c) => c.recipients));
    const domains = uniqueStrings(recipients.map(domainOfAddress));
    const ips = clients.map((c) => c.t.identity).sort();
    findings.push({
      rule: "open-relay",
      scope: "host",
      scopeHost: hostId,
      subject: hostId,
      check: "passive",
      hosts: [hostId],
      severityBoost: 0,
      firstSeenMs: Math.min(...clients.map((c) => c.t.firstMs)),
      lastSeenMs: Math.max(...clients.map((c) => c.t.lastMs)),
      summary: `${hostId} relayed ${relayed} messages from ${ips.length} unauthenticated outside clients (${ips.slice(0, 5).join(", ")}) to remote domains (${domains.slice(0, 5).join(", ")})`,
      counts: {
        relayed_messages: relayed,
        clients: ips.length,
        remote_delivery_lines: clients.reduce((s, c) => s + c.remote.length, 0),
        delivered: clients.reduce((s, c) => s + c.t.delivered, 0),
        deferred: clients.reduce((s, c) => s + c.t.deferred, 0),
        relay_denied: clients.reduce((s, c) => s + c.t.relayDenied, 0),
      },
      details: { clients: ips.slice(0, 50), recipient_domains: domains.slice(0, 50), sample_recipients: recipients.slice(0, 20), listeners: [] as string[] },
      evidence: {
        rows: clients.slice(0, 20).map((c): EvidenceRow => ({
          table: "mail_windows",
          host_id: hostId,
          at_unix_ms: c.t.firstMs,
          values: { identity_kind: "client_ip", identity: c.t.identity, received: c.t.received, auth_successes: c.t.authSuccesses, delivered: c.t.delivered, deferred: c.t.deferred, bounced: c.t.bounced, relay_denied: c.t.relayDenied },
        })),
        sample_lines: uniqueStrings([...clients.flatMap((c) => c.remote), ...clients.flatMap((c) => c.t.lines)], 20),
        queue_ids: uniqueStrings(clients.flatMap((c) => c.t.queueIds), 20),
        message_ids: uniqueStrings(clients.flatMap((c) => c.t.messageIds), 20),
      },
    });
  }
  return findings;
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

/** open-relay: mail from unauthenticated outside clients relayed to remote domains (passive), or a relay check that got 2xx (active). */
export const openRelayRule = defineRule({
  name: "open-relay",
  configKey: "openRelay",
  configSchema: openRelayConfigSchema,
  severity: "critical",
  detectors: (config) => [openRelayDetector(config)],
  remediation(f, mtaKind) {
    const on = onHosts(f);
    const listeners = f.details.listeners as string[] | undefined;
    return [
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
      check: "passive",
      data: "mail_windows `client_ip`",
      firesWhen:
        'an outside client with no authenticated message in 10 min sent ≥ 1 message and its sampled delivery lines show remote delivery (Postfix smtp/relay agent, Exim remote_smtp / dnslookup, Sendmail esmtp, qmail "to remote"; hops to content-filter ports 10024–10027 are local; alias forwards — Postfix `orig_to=`, Exim `=> new <original>` — are not relaying). Listener from inbound socket_snapshots',
      subject: "the host",
    },
    { check: "active", data: "`relayCheck.schedule`", firesWhen: "the scheduled check got 2xx to RCPT TO for an outside recipient", subject: "the host owning the address" },
  ],
});
