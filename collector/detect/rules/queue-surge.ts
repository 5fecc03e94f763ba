import { aboveBaseline } from "../baseline.js";
import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import type { Finding } from "../../vocabulary/finding.js";
import { latestQueueSnapshots, queueBaselines, type QueueBaseline, type QueueSnapshot } from "../queue-snapshots.js";
import { z } from "zod";
import { count, minutes, multiplier, ruleConfigSchema, share } from "../rule-config.js";
import { defineRule } from "../rule.js";
import { delistStep, onHosts } from "../remediation-steps.js";

/** detect.rules.queueSurge: the MTA queue far above its baseline, mostly deferred, or very old. */
export const queueSurgeConfigSchema = ruleConfigSchema({
  /** Only snapshots this recent count, minutes. */
  lookbackMinutes: minutes(5),
  /** Queued messages before depth can fire. */
  minMessages: count(500),
  /** ... and more than this many times the host's baseline (p95 of snapshot totals). */
  baselineMultiplier: multiplier(5),
  /** Baseline assumed for a host without queue history: with the defaults more than 500 queued. */
  baselineFloorMessages: count(100),
  /** Share of the queue that is deferred (with at least minMessages queued) that fires. */
  minDeferredShare: share(0.8),
  /** Oldest queued message older than this fires at low severity (Postfix's maximal_queue_lifetime is 5 days); 0 disables. */
  maxOldestAgeSeconds: z.number().int().min(0).default(432_000),
});

type Config = z.output<typeof queueSurgeConfigSchema>;

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

/** queue-surge: the MTA queue far above its baseline, mostly deferred, or very old. */
export const queueSurgeRule = defineRule({
  name: "queue-surge",
  configKey: "queueSurge",
  configSchema: queueSurgeConfigSchema,
  severity: "medium",
  detectors: (config) => [queueSurgeDetector(config)],
  remediation(f, mtaKind) {
    const d = f.details;
    const senders = Array.isArray(d.top_senders) ? (d.top_senders as { key: string; count: number }[]).slice(0, 3).map((s) => s.key) : [];
    return [
      `Find who filled the queue${onHosts(f)}: top senders ${senders.join(", ") || "(see evidence)"} — read the logs for their queue ids and follow the compromised-account or web-script steps [guide step 2: inspectez les journaux et la file d'attente].`,
      mtaKind === "exim"
        ? `Remove the spam left in the queue: \`exiqgrep -i -f '<sender>' | xargs exim -Mrm\` [guide step 4].`
        : `Remove the spam left in the queue: \`postqueue -j | jq -r 'select(.sender == "<sender>") | .queue_id' | postsuper -d -\` [guide step 4].`,
      delistStep(f),
    ];
  },
  doc: [
    {
      check: "depth / deferred-share / oldest-age",
      data: "newest queue_snapshots",
      firesWhen: "> 500 queued and > 5 × p95 of its snapshots (floor 100); or ≥ 500 queued, ≥ 80 % deferred and deferred above its own baseline; or oldest message ≥ 5 days (one level below)",
      subject: "the host; details list top senders",
    },
  ],
});
