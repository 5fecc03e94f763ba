import { aboveBaseline, baselineKey, windowBaselines, type Baseline } from "../baseline.js";
import { classifyDeliveryLine, domainOfAddress, type DeliveryLine } from "../classify-delivery-line.js";
import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import { mergeEvidence, uniqueStrings, type Finding } from "../../vocabulary/finding.js";
import { latestQueueSnapshots, queueBaselines, type QueueBaseline, type QueueSnapshot } from "../queue-snapshots.js";
import { dateTimeAt, num, strings } from "../../store/clickhouse/sql.js";
import { sqlLiteral } from "../../store/clickhouse/sql-literal.js";
import type { z } from "zod";
import { count, minutes, multiplier, ruleConfigSchema, share } from "../rule-config.js";
import { defineRule } from "../rule.js";
import { delistStep, onHosts } from "../remediation-steps.js";
import { openRelayRule } from "./open-relay.js";

/** detect.rules.backscatter: null-sender (bounce) mail far above normal, going to outside addresses. */
export const backscatterConfigSchema = ruleConfigSchema({
  /** Windows looked at, minutes. */
  lookbackMinutes: minutes(10),
  /** Bounces generated in the lookback before it can fire. */
  minBounces: count(20),
  /** Share of null-sender mail among all received mail that counts (when the cause below is not seen). */
  minShare: share(0.3),
  /**
   * Share of the null-sender messages explained by accepted mail that then
   * bounced (bounced deliveries of other senders' mail on the host): with
   * bounces to unknown local users among them — the backscatter cause — the
   * rule fires whatever share of received mail the bounces are, so a spam
   * wave running at the same time does not hide it.
   */
  minCauseShare: share(0.5),
  /** ... and more than this many times the host's baseline of bounces. */
  baselineMultiplier: multiplier(5),
  /** Baseline assumed for a host without history: with the defaults more than 20 bounces. */
  baselineFloorBounces: count(4),
  /** Null-sender messages in the queue that count (queue variant). */
  minQueueBounces: count(50),
  /** Share of null-sender messages in the queue that counts (queue variant). */
  minQueueShare: share(0.5),
});

type Config = z.output<typeof backscatterConfigSchema>;

/** A host's null-sender mail over the lookback (envelope_sender = "<>" windows). */
export interface BounceTotals {
  hostId: string;
  /** All messages received (every envelope sender). */
  receivedAll: number;
  /** Null-sender messages received (bounces generated or passing through). */
  bounces: number;
  delivered: number;
  deferred: number;
  bounced: number;
  firstMs: number;
  lastMs: number;
  lines: string[];
  queueIds: string[];
  messageIds: string[];
  /** Bounced deliveries of non-null-sender mail (accepted, then bounced) over the lookback, every line counted. */
  acceptedBounced: number;
  /** Sampled bounce lines of that mail (the cause: which recipients bounced, and why). */
  causeLines: string[];
  /** Envelope senders of that mail: where its NDRs go. */
  causeSenders: string[];
}

/**
 * backscatter: the host generates null-sender mail (bounces) far above
 * normal — at least minBounces in the lookback, at least minShare of all its
 * received mail and above baselineMultiplier × its own baseline — and those
 * bounces go to remote addresses (remote delivery lines among their samples;
 * inbound DSNs for local users are delivered locally and stay silent). Queue
 * variant: the null-sender count in the newest queue snapshot above
 * minQueueBounces, minQueueShare of the queue and its baseline.
 */
export function backscatterDetector(config: Config, filterRelayPorts: readonly number[]): Detector {
  return {
    name: "backscatter/null-sender",
    rule: "backscatter",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.lookbackMinutes);
      const rows = await ctx.store.query<Record<string, unknown>>(
        `SELECT host_id, sum(received) AS received_all, sumIf(received, identity = '<>') AS bounces,
  sumIf(delivered, identity = '<>') AS bounce_delivered, sumIf(deferred, identity = '<>') AS bounce_deferred, sumIf(bounced, identity = '<>') AS bounce_bounced,
  minIf(window_start_unix_ms, identity = '<>') AS first_ms, maxIf(window_start_unix_ms + window_seconds * 1000, identity = '<>') AS last_ms,
  arraySlice(groupUniqArrayArray(if(identity = '<>', sample_lines, emptyArrayString())), 1, 40) AS bounce_lines,
  arraySlice(groupUniqArrayArray(if(identity = '<>', sample_queue_ids, emptyArrayString())), 1, 20) AS bounce_queue_ids,
  arraySlice(groupUniqArrayArray(if(identity = '<>', sample_message_ids, emptyArrayString())), 1, 20) AS bounce_message_ids,
  sumIf(bounced, identity != '<>') AS accepted_bounced,
  arraySlice(groupUniqArrayArray(if(identity != '<>' AND bounced > 0, arrayFilter(l -> match(l, ${sqlLiteral(BOUNCE_LINE_PREFILTER)}), sample_lines), emptyArrayString())), 1, 40) AS cause_lines,
  arraySlice(groupUniqArrayIf(identity, identity != '<>' AND bounced > 0), 1, 40) AS cause_senders
FROM ${ctx.table("mail_windows")}
WHERE identity_kind = 'envelope_sender' AND window_start >= ${dateTimeAt(fromMs)} AND window_start <= ${dateTimeAt(ctx.nowMs)}
GROUP BY host_id
HAVING bounces >= ${Math.floor(config.minBounces)}`,
      );
      const totals: BounceTotals[] = rows.map((r) => ({
        hostId: String(r.host_id),
        receivedAll: num(r.received_all),
        bounces: num(r.bounces),
        delivered: num(r.bounce_delivered),
        deferred: num(r.bounce_deferred),
        bounced: num(r.bounce_bounced),
        firstMs: num(r.first_ms),
        lastMs: num(r.last_ms),
        lines: strings(r.bounce_lines),
        queueIds: strings(r.bounce_queue_ids),
        messageIds: strings(r.bounce_message_ids),
        acceptedBounced: num(r.accepted_bounced),
        causeLines: strings(r.cause_lines),
        causeSenders: strings(r.cause_senders),
      }));
      const baselines = await windowBaselines(ctx, {
        kind: "envelope_sender",
        metric: "received",
        bucketMinutes: config.lookbackMinutes,
        lookbackStartMs: fromMs,
        pairs: totals.map((t) => ({ hostId: t.hostId, identity: "<>" })),
      });
      const snapshots = (await latestQueueSnapshots(ctx, fromMs)).filter((s) => s.nullSender >= config.minQueueBounces);
      const queueBase = await queueBaselines(ctx, snapshots.map((s) => s.hostId), fromMs - ctx.config.baselineDays * 86_400_000, fromMs);
      return evaluateBackscatter({ totals, baselines, snapshots, queueBaselines: queueBase, config, filterRelayPorts });
    },
  };
}

/** RE2 pattern of a logged permanent delivery failure (Postfix status=bounced, Exim "**"): the cause lines SQL keeps. */
const BOUNCE_LINE_PREFILTER = String.raw`status=bounced| \*\* `;

// Why a local delivery bounced: the recipient does not exist (Postfix local/virtual, Exim routing failure, LMTP 550 5.1.1).
const UNKNOWN_USER = /unknown user|user unknown|no such user|unrouteable address|mailbox unavailable|does not exist|\b5\.1\.1\b/i;

/**
 * Recipients of sampled bounce lines that were local deliveries failing
 * because the recipient does not exist: mail accepted for unknown local
 * users, then bounced (Postfix with an empty local_recipient_maps or a
 * catch-all virtual domain, Exim accepting for a domain whose routing then
 * fails).
 */
export function unknownLocalUserBounces(lines: readonly string[], filterRelayPorts: readonly number[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (!UNKNOWN_USER.test(line) || !/status=bounced| \*\* /.test(line)) continue;
    const d = classifyDeliveryLine(line, filterRelayPorts);
    if (d !== null && d.kind === "local" && d.recipient !== "") out.push(d.recipient);
  }
  return uniqueStrings(out);
}

// Postfix's error agent deferring mail once the next hop is marked dead: "postfix/error[1]: QID: to=<r>, relay=none, ...
// status=deferred (delivery temporarily suspended: connect to host[ip]:25: ...)". The usual state of NDRs to forged senders.
const SUSPENDED = /\bpostfix[^\s/]*\/(?:[^\s[/]+\/)?error\[\d+\]: ([0-9A-Za-z]+): to=<([^>]*)>.*status=deferred \(delivery temporarily suspended: (?:connect to|lost connection with|conversation with) /;

/** A Postfix error-agent line deferring a remote delivery whose next hop is marked dead, as a remote delivery; else null. */
export function suspendedRemoteDelivery(line: string): DeliveryLine | null {
  const m = SUSPENDED.exec(line);
  return m ? { kind: "remote", recipient: (m[2] ?? "").toLowerCase(), queueId: m[1] ?? "", forwarded: false } : null;
}

/** Pure part: log totals, their baselines, queue snapshots and theirs → one finding per host. */
export function evaluateBackscatter(input: {
  totals: readonly BounceTotals[];
  baselines: ReadonlyMap<string, Baseline>;
  snapshots: readonly QueueSnapshot[];
  queueBaselines: ReadonlyMap<string, QueueBaseline>;
  config: Config;
  /** Content-filter ports whose hops are not remote delivery (detect.rules.openRelay.filterRelayPorts). */
  filterRelayPorts: readonly number[];
}): Finding[] {
  const { config } = input;
  const byHost = new Map<string, Finding>();
  for (const t of input.totals) {
    const baseline = input.baselines.get(baselineKey(t.hostId, "<>"));
    const { fires, bar } = aboveBaseline(t.bounces, baseline, { multiplier: config.baselineMultiplier, floor: config.baselineFloorBounces, minimum: config.minBounces });
    const share = t.receivedAll === 0 ? 0 : t.bounces / t.receivedAll;
    const deliveries = t.lines.map((l) => classifyDeliveryLine(l, input.filterRelayPorts) ?? suspendedRemoteDelivery(l)).filter((d) => d !== null);
    const remote = deliveries.filter((d) => d.kind === "remote");
    const unknownLocal = unknownLocalUserBounces(t.causeLines, input.filterRelayPorts);
    // The cause: mail accepted for local recipients that do not exist, then bounced; most of the NDRs are explained by it.
    const caused = unknownLocal.length > 0 && t.acceptedBounced >= config.minCauseShare * t.bounces;
    // NDRs go back to the senders of the bounced mail; when the samples show no delivery of them at all, senders
    // outside the domains the unknown recipients were in say where they go.
    const localDomains = new Set(unknownLocal.map(domainOfAddress));
    const outsideSenders = t.causeSenders.filter((a) => a.includes("@") && !localDomains.has(domainOfAddress(a)));
    const leaving = remote.length > 0 || (deliveries.length === 0 && caused && outsideSenders.length > 0);
    if (!fires || !leaving || (share < config.minShare && !caused)) continue;
    const recipients = uniqueStrings(remote.length > 0 ? remote.map((d) => d.recipient) : outsideSenders);
    byHost.set(t.hostId, {
      rule: "backscatter",
      scope: "host",
      scopeHost: t.hostId,
      subject: t.hostId,
      check: "log",
      hosts: [t.hostId],
      severityBoost: share >= 0.8 && t.bounces >= 5 * bar ? 1 : 0,
      firstSeenMs: t.firstMs,
      lastSeenMs: t.lastMs,
      summary:
        `${t.hostId} generated ${t.bounces} null-sender messages in ${config.lookbackMinutes} min (${Math.round(share * 100)}% of received mail, usual p95 ${baseline?.p95 ?? 0}), bouncing to outside addresses (${uniqueStrings(recipients.map(domainOfAddress)).slice(0, 5).join(", ")})` +
        (caused ? `; cause: ${t.acceptedBounced} accepted messages bounced, to unknown local users such as ${unknownLocal.slice(0, 3).join(", ")}` : ""),
      counts: {
        bounces: t.bounces,
        received: t.receivedAll,
        share_percent: Math.round(share * 100),
        baseline_p95: baseline?.p95 ?? 0,
        threshold: bar,
        delivered: t.delivered,
        deferred: t.deferred,
        bounced: t.bounced,
        remote_delivery_lines: remote.length,
        local_delivery_lines: deliveries.length - remote.length,
        accepted_then_bounced: t.acceptedBounced,
        unknown_local_user_lines: unknownLocal.length,
      },
      details: {
        top_bounce_recipients: recipients.slice(0, 20),
        top_bounce_domains: uniqueStrings(recipients.map(domainOfAddress)).slice(0, 20),
        unknown_local_recipients: unknownLocal.slice(0, 20),
        signals: caused ? ["unknown-local-user-bounces", "remote-ndrs"] : ["null-sender-share", "remote-ndrs"],
      },
      evidence: { rows: [], sample_lines: uniqueStrings([...t.lines, ...t.causeLines.slice(0, 5)], 20), queue_ids: t.queueIds, message_ids: t.messageIds },
    });
  }
  for (const s of input.snapshots) {
    const baseline = input.queueBaselines.get(s.hostId)?.nullSender;
    const { fires, bar } = aboveBaseline(s.nullSender, baseline, { multiplier: config.baselineMultiplier, floor: config.baselineFloorBounces, minimum: config.minQueueBounces });
    const share = s.total === 0 ? 0 : s.nullSender / s.total;
    if (!fires || share < config.minQueueShare) continue;
    const row = { table: "queue_snapshots", host_id: s.hostId, at_unix_ms: s.atMs, values: { total: s.total, null_sender: s.nullSender, by_queue: s.byQueue, top_recipient_domains: s.topRecipientDomains } };
    const existing = byHost.get(s.hostId);
    if (existing) {
      existing.check = "log+queue";
      Object.assign(existing.counts, { queue_null_sender: s.nullSender, queue_total: s.total });
      existing.details.queue_top_recipient_domains = s.topRecipientDomains;
      existing.evidence = mergeEvidence({ rows: [row], sample_lines: [], queue_ids: [], message_ids: [] }, existing.evidence);
      continue;
    }
    byHost.set(s.hostId, {
      rule: "backscatter",
      scope: "host",
      scopeHost: s.hostId,
      subject: s.hostId,
      check: "queue",
      hosts: [s.hostId],
      severityBoost: 0,
      firstSeenMs: s.atMs,
      lastSeenMs: s.atMs,
      summary: `${s.hostId} has ${s.nullSender} null-sender messages queued (${Math.round(share * 100)}% of ${s.total}, usual p95 ${baseline?.p95 ?? 0}); top recipient domains ${s.topRecipientDomains.slice(0, 5).map((d) => `${d.key} (${d.count})`).join(", ")}`,
      counts: { queue_null_sender: s.nullSender, queue_total: s.total, share_percent: Math.round(share * 100), baseline_p95: baseline?.p95 ?? 0, threshold: bar },
      details: { queue_top_recipient_domains: s.topRecipientDomains, top_senders: s.topSenders },
      evidence: { rows: [row], sample_lines: [], queue_ids: [], message_ids: [] },
    });
  }
  return [...byHost.values()];
}

/** backscatter: null-sender (bounce) mail far above normal, going to outside addresses. */
export const backscatterRule = defineRule({
  name: "backscatter",
  configKey: "backscatter",
  configSchema: backscatterConfigSchema,
  severity: "medium",
  // Content-filter hops are configured once, for open-relay, and mean the same here.
  detectors: (config, configOf) => [backscatterDetector(config, configOf(openRelayRule).filterRelayPorts)],
  remediation: (f, mtaKind) => [
    `Stop accepting mail for unknown recipients${onHosts(f)} and bouncing it later: reject at RCPT time (Postfix local_recipient_maps / reject_unverified_recipient, Exim verify = recipient) [guide: rétrodiffusion; step 3.3 le paramétrage doit être revu].`,
    mtaKind === "exim"
      ? "Remove the queued bounces: `exiqgrep -i -f '^<>$' | xargs exim -Mrm` [guide step 4]."
      : "Remove the queued bounces: `postqueue -j | jq -r 'select(.sender == \"\") | .queue_id' | postsuper -d -` [guide step 4].",
    delistStep(f),
  ],
  doc: [
    {
      check: "log",
      data: "mail_windows `envelope_sender` = `<>`",
      firesWhen:
        "> 20 null-sender messages in 10 min, > 5 × p95 (floor 4), remote delivery lines among their samples (Postfix's error agent deferring to a next hop marked dead counts; inbound DSNs for local users are delivered locally and stay silent; with no delivery line sampled, bounced mail whose senders are outside the unknown recipients' domains), and either ≥ 30 % of received mail or the cause seen: accepted mail bounced as unknown local users, accounting for ≥ 50 % of the bounces (then any share: a spam wave at the same time does not hide it)",
      subject: "the host",
    },
    { check: "queue", data: "queue_snapshots", firesWhen: "≥ 50 null-sender messages queued, ≥ 50 % of the queue, above its baseline", subject: "the host" },
  ],
});
