import { classifyDeliveryLine, domainOfAddress, REMOTE_DELIVERY_PREFILTER } from "../classify-delivery-line.js";
import type { RuleConfigs } from "../detect-config.js";
import { lookbackStart, type DetectContext } from "../detect-context.js";
import type { Detector } from "../detector.js";
import { uniqueStrings, type EvidenceRow, type Finding } from "../finding.js";
import { dateTimeAt, inList, strings } from "../sql.js";
import { windowTotals, type WindowTotals } from "../window-totals.js";

type Config = RuleConfigs["openRelay"];

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
