import { sqlLiteral } from "../../store/clickhouse/sql-literal.js";
import { aboveBaseline, baselineKey, windowBaselines, type Baseline } from "../baseline.js";
import { lookbackStart, type DetectContext } from "../detect-context.js";
import type { Detector } from "../detector.js";
import { type Finding } from "../../vocabulary/finding.js";
import { networkOf } from "../../vocabulary/ip-networks.js";
import { dateTimeAt, strings } from "../../store/clickhouse/sql.js";
import { windowEvidenceRows, windowTotals, type WindowTotals } from "../window-totals.js";
import { queryHostPairsInChunks } from "../../store/clickhouse/query-in-chunks.js";
import type { CompromisedAccountConfig } from "./compromised-account.js";

type Config = CompromisedAccountConfig;

/**
 * compromised-account / volume: a SASL account sending far above its own
 * baseline (more than minMessages and more than baselineMultiplier × its
 * p95), or spreading to many recipient domains while also coming from many
 * outside networks or failing delivery a lot (spam to harvested lists bounces)
 * — the failure share counts only with volume (minFailureMessages messages)
 * or above the account's own history.
 */
export function accountVolumeDetector(config: Config): Detector {
  return {
    name: "compromised-account/volume",
    rule: "compromised-account",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.lookbackMinutes);
      const totals = await windowTotals(ctx, {
        kinds: ["sasl_user"],
        fromMs,
        filter: { received: config.minMessages, recipientDomains: config.minRecipientDomains },
      });
      if (totals.length === 0) return [];
      const pairs = totals.map((t) => ({ hostId: t.hostId, identity: t.identity }));
      const baselines = await windowBaselines(ctx, { kind: "sasl_user", metric: "received", bucketMinutes: config.lookbackMinutes, lookbackStartMs: fromMs, pairs });
      const clientIps = await loginAddresses(ctx, totals, fromMs);
      const findings = evaluateAccountVolume({ totals, baselines, clientIps, config, isFleetAddress: ctx.isFleetAddress });
      for (const f of findings) {
        f.evidence.rows = await windowEvidenceRows(ctx, { hostId: f.scopeHost, kind: "sasl_user", identity: f.subject, fromMs });
      }
      return findings;
    },
  };
}

/** Client IPs each (host, account) logged in or sent from since `fromMs`, from auth_windows successes. */
async function loginAddresses(ctx: DetectContext, totals: readonly WindowTotals[], fromMs: number): Promise<Map<string, string[]>> {
  // Chunked by host: a fleet-wide list of hosts and accounts outgrows one statement.
  const rows = await queryHostPairsInChunks<Record<string, unknown>>(
    ctx.store,
    totals,
    (hosts, accounts) => `SELECT host_id, username, arraySlice(groupUniqArray(client_ip), 1, 500) AS ips
FROM ${ctx.table("auth_windows")}
WHERE successes > 0 AND client_ip != ${sqlLiteral("")}
  AND host_id IN ${hosts} AND username IN ${accounts}
  AND window_start >= ${dateTimeAt(fromMs)} AND window_start <= ${dateTimeAt(ctx.nowMs)}
GROUP BY host_id, username`,
  );
  return new Map(rows.map((r) => [baselineKey(String(r.host_id), String(r.username)), strings(r.ips)]));
}

/** Pure part of the rule: totals + baselines + login addresses → findings. */
export function evaluateAccountVolume(input: {
  totals: readonly WindowTotals[];
  baselines: ReadonlyMap<string, Baseline>;
  clientIps: ReadonlyMap<string, readonly string[]>;
  config: Config;
  isFleetAddress: (ip: string) => boolean;
}): Finding[] {
  const { config } = input;
  const findings: Finding[] = [];
  for (const t of input.totals) {
    const key = baselineKey(t.hostId, t.identity);
    const baseline = input.baselines.get(key);
    const { fires: volume, bar } = aboveBaseline(t.received, baseline, { multiplier: config.baselineMultiplier, floor: config.baselineFloorMessages, minimum: config.minMessages });
    const outside = (input.clientIps.get(key) ?? []).filter((ip) => !input.isFleetAddress(ip));
    const networks = new Set(outside.map(networkOf));
    const attempts = t.delivered + t.deferred + t.bounced;
    const failureShare = attempts === 0 ? 0 : (t.deferred + t.bounced) / attempts;

    const spread = t.recipientDomains >= config.minRecipientDomains;
    const manyPlaces = outside.length >= config.minClientIps || networks.size >= config.minNetworks;
    // Deferrals say something about the account only with volume or against its own history: a handful of
    // newsletter messages all deferred because the next hop is down is an outage, not spam to harvested lists.
    const weighty = t.received >= config.minFailureMessages || (baseline !== undefined && baseline.buckets > 0 && t.received > config.baselineMultiplier * Math.max(baseline.p95, 1));
    const failing = attempts >= config.minFailureDeliveries && failureShare >= config.minFailureShare && weighty;
    if (!volume && !(spread && (manyPlaces || failing))) continue;

    const signals = [volume ? "volume" : "", spread ? "recipient-domains" : "", manyPlaces ? "client-networks" : "", failing ? "failure-share" : ""].filter(Boolean);
    const p95 = baseline?.p95 ?? 0;
    findings.push({
      rule: "compromised-account",
      scope: "host",
      scopeHost: t.hostId,
      subject: t.identity,
      check: volume ? "volume" : "spread",
      hosts: [t.hostId],
      severityBoost: t.received >= config.escalateMultiplier * bar ? 1 : 0,
      firstSeenMs: t.firstMs,
      lastSeenMs: t.lastMs,
      summary:
        `account ${t.identity} sent ${t.received} messages in ${config.lookbackMinutes} min (usual p95 ${p95}${baseline ? "" : ", no history"}, fires at ${bar})` +
        `, ${t.recipientDomains} recipient domains, ${outside.length} outside client IPs in ${networks.size} networks` +
        (attempts > 0 ? `, ${Math.round(failureShare * 100)}% of ${attempts} deliveries deferred/bounced` : ""),
      counts: {
        messages: t.received,
        baseline_p95: p95,
        baseline_buckets: baseline?.buckets ?? 0,
        threshold: bar,
        recipient_domains: t.recipientDomains,
        recipients: t.recipients,
        client_ips: outside.length,
        networks: networks.size,
        delivered: t.delivered,
        deferred: t.deferred,
        bounced: t.bounced,
        failure_share_percent: Math.round(failureShare * 100),
      },
      details: { account: t.identity, signals, client_ips: outside.slice(0, 20), networks: [...networks].slice(0, 20) },
      evidence: { rows: [], sample_lines: t.lines, queue_ids: t.queueIds, message_ids: t.messageIds },
    });
  }
  return findings;
}
