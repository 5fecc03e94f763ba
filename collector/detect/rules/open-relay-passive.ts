import { classifyDeliveryLine, domainOfAddress } from "../classify-delivery-line.js";
import type { HostRelayPolicy } from "../relay-policies.js";
import type { WindowTotals } from "../window-totals.js";
import { uniqueStrings, type EvidenceRow, type Finding } from "../../vocabulary/finding.js";

/** The passive check's thresholds (detect.rules.openRelay). */
export interface OpenRelayPassiveConfig {
  minMessages: number;
  filterRelayPorts: readonly number[];
}

interface RelayingClient {
  t: WindowTotals;
  /** Messages relayed: mail_windows.relayed, or (without a policy) the received count. */
  relayed: number;
  /** "destination" when the probe judged it against the host's relay policy, "delivery-agent" from sampled lines. */
  judgedBy: "destination" | "delivery-agent";
  remote: string[];
  recipients: string[];
}

/**
 * Pure part of the passive check: client_ip totals → one finding per host
 * that relayed for outside clients.
 *
 * On a host whose probe sent a relay policy, a client relayed when
 * `relayed` (messages accepted without authentication from outside the
 * permitted networks for a domain the host does not serve, judged by the
 * probe on every line) reaches minMessages — whatever agent then took the
 * mail, Postfix's `error` agent for a dead next hop included. A client in the
 * host's permitted networks (mynetworks, relay_from_hosts: an application
 * server) never counts. Without a policy (older probes, unreadable
 * configuration) or when its domain lists are partial, the sampled delivery
 * lines are classified as before (remote delivery by an unauthenticated
 * client), still skipping permitted clients.
 */
export function evaluateOpenRelay(
  totals: readonly WindowTotals[],
  config: OpenRelayPassiveConfig,
  isFleetAddress: (ip: string) => boolean,
  policies: ReadonlyMap<string, HostRelayPolicy> = new Map(),
): Finding[] {
  const byHost = new Map<string, RelayingClient[]>();
  for (const t of totals) {
    if (isFleetAddress(t.identity)) continue;
    const policy = policies.get(t.hostId);
    if (policy?.permitted.has(t.identity) === true) continue;
    const client = policy !== undefined && t.relayed >= config.minMessages ? byDestination(t, config) : policy?.complete === true ? null : byDeliveryAgent(t, config);
    if (client !== null) byHost.set(t.hostId, [...(byHost.get(t.hostId) ?? []), client]);
  }
  return [...byHost].map(([hostId, clients]) => relayFinding(hostId, clients, policies.get(hostId)));
}

function byDestination(t: WindowTotals, config: OpenRelayPassiveConfig): RelayingClient {
  const remote: string[] = [];
  const recipients: string[] = [];
  for (const line of t.lines) {
    const recipient = outboundRecipient(line, config);
    if (recipient === null) continue;
    remote.push(line);
    if (recipient !== "") recipients.push(recipient);
  }
  return { t, relayed: t.relayed, judgedBy: "destination", remote, recipients };
}

// Postfix hands mail for a next hop marked dead to its error (or retry) agent: "delivery temporarily suspended".
const POSTFIX_SUSPENDED = /\bpostfix[^\s/]*\/(?:[^\s[/]+\/)?(?:error|retry)\[\d+\]: [0-9A-Za-z]+: to=<([^>]*)>(?!, orig_to=)/;

/** Recipient of a sampled line that sends mail out (remote delivery, or Postfix's error agent for a dead next hop); null for any other line. */
function outboundRecipient(line: string, config: OpenRelayPassiveConfig): string | null {
  const d = classifyDeliveryLine(line, config.filterRelayPorts);
  if (d !== null) return d.kind === "remote" && !d.forwarded ? d.recipient : null;
  const m = POSTFIX_SUSPENDED.exec(line);
  return m === null ? null : (m[1] ?? "").toLowerCase();
}

function byDeliveryAgent(t: WindowTotals, config: OpenRelayPassiveConfig): RelayingClient | null {
  if (t.received < config.minMessages || t.authSuccesses > 0) return null;
  const remote: string[] = [];
  const recipients: string[] = [];
  for (const line of t.lines) {
    const d = classifyDeliveryLine(line, config.filterRelayPorts);
    // A forward (alias to an outside mailbox) is inbound mail re-sent by its owner's choice, not relaying.
    if (d?.kind !== "remote" || d.forwarded) continue;
    remote.push(line);
    if (d.recipient) recipients.push(d.recipient);
  }
  return remote.length === 0 ? null : { t, relayed: t.received, judgedBy: "delivery-agent", remote, recipients };
}

function relayFinding(hostId: string, clients: RelayingClient[], policy: HostRelayPolicy | undefined): Finding {
  const relayed = clients.reduce((s, c) => s + c.relayed, 0);
  const recipients = uniqueStrings(clients.flatMap((c) => c.recipients));
  const domains = uniqueStrings(recipients.map(domainOfAddress));
  const ips = clients.map((c) => c.t.identity).sort();
  const judgedBy = uniqueStrings(clients.map((c) => c.judgedBy));
  return {
    rule: "open-relay",
    scope: "host",
    scopeHost: hostId,
    subject: hostId,
    check: "passive",
    hosts: [hostId],
    severityBoost: 0,
    firstSeenMs: Math.min(...clients.map((c) => c.t.firstMs)),
    lastSeenMs: Math.max(...clients.map((c) => c.t.lastMs)),
    summary:
      `${hostId} relayed ${relayed} messages from ${ips.length} unauthenticated outside clients (${ips.slice(0, 5).join(", ")}) ` +
      (domains.length > 0 ? `to domains it does not serve (${domains.slice(0, 5).join(", ")})` : "to domains it does not serve"),
    counts: {
      relayed_messages: relayed,
      relayed_recipients: clients.reduce((s, c) => s + c.t.relayedRecipients, 0),
      clients: ips.length,
      remote_delivery_lines: clients.reduce((s, c) => s + c.remote.length, 0),
      delivered: clients.reduce((s, c) => s + c.t.delivered, 0),
      deferred: clients.reduce((s, c) => s + c.t.deferred, 0),
      relay_denied: clients.reduce((s, c) => s + c.t.relayDenied, 0),
    },
    details: {
      clients: ips.slice(0, 50),
      recipient_domains: domains.slice(0, 50),
      sample_recipients: recipients.slice(0, 20),
      judged_by: judgedBy,
      ...(policy === undefined ? {} : { relay_policy_hash: policy.hash, permitted_networks: policy.permittedNetworks.slice(0, 20), served_domains: policy.servedDomainCount }),
      listeners: [] as string[],
    },
    evidence: {
      rows: clients.slice(0, 20).map((c): EvidenceRow => ({
        table: "mail_windows",
        host_id: hostId,
        at_unix_ms: c.t.firstMs,
        values: { identity_kind: "client_ip", identity: c.t.identity, received: c.t.received, relayed: c.t.relayed, relayed_recipients: c.t.relayedRecipients, auth_successes: c.t.authSuccesses, delivered: c.t.delivered, deferred: c.t.deferred, bounced: c.t.bounced, relay_denied: c.t.relayDenied },
      })),
      sample_lines: uniqueStrings([...clients.flatMap((c) => c.remote), ...clients.flatMap((c) => c.t.lines)], 20),
      queue_ids: uniqueStrings(clients.flatMap((c) => c.t.queueIds), 20),
      message_ids: uniqueStrings(clients.flatMap((c) => c.t.messageIds), 20),
    },
  };
}
