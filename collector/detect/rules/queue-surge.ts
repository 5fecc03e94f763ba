import { aboveBaseline } from "../baseline.js";
import type { RuleConfigs } from "../detect-config.js";
import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import type { Finding } from "../finding.js";
import { latestQueueSnapshots, queueBaselines, type QueueBaseline, type QueueSnapshot } from "../queue-snapshots.js";

type Config = RuleConfigs["queueSurge"];

/**
 * queue-surge: a host's newest queue snapshot holds at least minMessages and
 * more than baselineMultiplier × its usual depth (p95 of its snapshots over
 * baselineDays), or is mostly deferred (minDeferredShare, deferred count
 * above its own baseline) — spam to dead addresses piles up as deferrals.
 * A very old oldest message (maxOldestAgeSeconds) fires at one level below
 * the rule's severity. Names the top senders in the queue.
 */
export function queueSurgeDetector(config: Config): Detector {
  return {
    name: "queue-surge/depth",
    rule: "queue-surge",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.lookbackMinutes);
      const snapshots = await latestQueueSnapshots(ctx, fromMs);
      const candidates = snapshots.filter((s) => s.total >= config.minMessages || (config.maxOldestAgeSeconds > 0 && s.oldestAgeSeconds >= config.maxOldestAgeSeconds));
      const baselines = await queueBaselines(ctx, candidates.map((s) => s.hostId), fromMs - ctx.config.baselineDays * 86_400_000, fromMs);
      return evaluateQueueSurge(candidates, baselines, config);
    },
  };
}

/** Pure part: newest snapshots and baselines → findings. */
export function evaluateQueueSurge(snapshots: readonly QueueSnapshot[], baselines: ReadonlyMap<string, QueueBaseline>, config: Config): Finding[] {
  const findings: Finding[] = [];
  for (const s of snapshots) {
    const base = baselines.get(s.hostId);
    const opts = { multiplier: config.baselineMultiplier, floor: config.baselineFloorMessages, minimum: config.minMessages };
    const depth = aboveBaseline(s.total, base?.total, opts);
    const share = s.total === 0 ? 0 : s.deferred / s.total;
    const deferred = s.total >= config.minMessages && share >= config.minDeferredShare && aboveBaseline(s.deferred, base?.deferred, { ...opts, minimum: 1 }).fires;
    const old = config.maxOldestAgeSeconds > 0 && s.oldestAgeSeconds >= config.maxOldestAgeSeconds;
    if (!depth.fires && !deferred && !old) continue;
    const checks = [depth.fires ? "depth" : "", deferred ? "deferred-share" : "", old ? "oldest-age" : ""].filter(Boolean);
    findings.push({
      rule: "queue-surge",
      scope: "host",
      scopeHost: s.hostId,
      subject: s.hostId,
      check: checks[0]!,
      hosts: [s.hostId],
      severityBoost: depth.fires || deferred ? (s.total >= 10 * depth.bar ? 1 : 0) : -1,
      firstSeenMs: s.atMs,
      lastSeenMs: s.atMs,
      summary: `${s.hostId} queue holds ${s.total} messages (usual p95 ${base?.total.p95 ?? 0}), ${Math.round(share * 100)}% deferred, oldest ${Math.round(s.oldestAgeSeconds / 3600)} h; top senders ${s.topSenders.slice(0, 5).map((x) => `${x.key} (${x.count})`).join(", ")}`,
      counts: {
        total: s.total,
        deferred: s.deferred,
        deferred_share_percent: Math.round(share * 100),
        frozen_or_held: s.frozenOrHeld,
        null_sender: s.nullSender,
        oldest_age_seconds: s.oldestAgeSeconds,
        baseline_total_p95: base?.total.p95 ?? 0,
        threshold: depth.bar,
      },
      details: { checks, mta: s.mta, top_senders: s.topSenders, top_recipient_domains: s.topRecipientDomains, by_queue: s.byQueue },
      evidence: {
        rows: [{ table: "queue_snapshots", host_id: s.hostId, at_unix_ms: s.atMs, values: { total: s.total, by_queue: s.byQueue, oldest_age_seconds: s.oldestAgeSeconds, null_sender: s.nullSender, top_senders: s.topSenders } }],
        sample_lines: [],
        queue_ids: [],
        message_ids: [],
      },
    });
  }
  return findings;
}
