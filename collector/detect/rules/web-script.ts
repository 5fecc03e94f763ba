import { aboveBaseline, baselineKey, windowBaselines, type Baseline } from "../baseline.js";
import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import { uniqueStrings, type Finding } from "../../vocabulary/finding.js";
import { windowEvidenceRows, windowTotals, type WindowTotals } from "../window-totals.js";
import { z } from "zod";
import { count, minutes, multiplier, ruleConfigSchema } from "../rule-config.js";
import { defineRule } from "../rule.js";
import { delistStep, onHosts, purgeQueueStep } from "../remediation-steps.js";

/** detect.rules.webScript: local submissions (script path, local user) above their baseline. */
export const webScriptConfigSchema = ruleConfigSchema({
  /** Submissions compared with the baseline over this many minutes. */
  lookbackMinutes: minutes(10),
  /** Messages from the script/user in the lookback before it can fire. */
  minMessages: count(30),
  /** ... and more than this many times its baseline. */
  baselineMultiplier: multiplier(5),
  /** Baseline assumed for a script/user without history: with the defaults a new one must send more than 30. */
  baselineFloorMessages: count(6),
  /** Volume this many times the firing threshold raises the severity one level. */
  escalateMultiplier: multiplier(10),
  /** Local users that are the MTA itself (bounces, queue runs), never a web script. */
  ignoredLocalUsers: z.array(z.string()).default(["Debian-exim", "exim", "mail", "mailnull", "postfix", "smmsp", "qmaild", "qmailq", "qmailr", "qmails"]),
  /** Script/cwd prefixes that are the MTA's own folders (Exim re-executing itself from its spool). */
  ignoredScriptPrefixes: z.array(z.string()).default(["/var/spool/exim4", "/var/spool/exim", "/var/spool/postfix"]),
  /** The same script path sending on this many hosts raises a fleet incident. */
  fleetMinHosts: count(2),
  /** Messages per host in the lookback for the fleet check. */
  fleetMinMessages: count(10),
});

type Config = z.output<typeof webScriptConfigSchema>;

/**
 * web-script: local submissions attributed to a script (Exim `cwd=`,
 * `X-PHP-Originating-Script`, on Postfix the path the probe joined to the
 * pickup from the maildrop writer's ancestry or PHP's mail.log) or a local
 * user (Exim `U=`, Postfix pickup uid)
 * above minMessages and baselineMultiplier × the identity's baseline. A local
 * user whose sampled queue ids overlap a firing script on the same host is
 * folded into that script's incident (the script names more). Fleet: the
 * same script path sending at least fleetMinMessages on fleetMinHosts hosts.
 */
export function webScriptDetector(config: Config): Detector {
  return {
    name: "web-script/local-submissions",
    rule: "web-script",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.lookbackMinutes);
      const totals = (
        await windowTotals(ctx, { kinds: ["script", "local_user"], fromMs, filter: { received: Math.min(config.minMessages, config.fleetMinMessages) } })
      ).filter((t) => !ignored(t, config));
      if (totals.length === 0) return [];
      const baselines = new Map<string, Baseline>();
      for (const kind of ["script", "local_user"]) {
        const pairs = totals.filter((t) => t.kind === kind && t.received >= config.minMessages).map((t) => ({ hostId: t.hostId, identity: t.identity }));
        const found = await windowBaselines(ctx, { kind, metric: "received", bucketMinutes: config.lookbackMinutes, lookbackStartMs: fromMs, pairs });
        for (const [k, v] of found) baselines.set(`${kind}\u0000${k}`, v);
      }
      const findings = evaluateWebScripts(totals, baselines, config);
      for (const f of findings) {
        if (f.scope !== "host") continue;
        f.evidence.rows = await windowEvidenceRows(ctx, { hostId: f.scopeHost, kind: String(f.details.identity_kind), identity: String(f.details.identity), fromMs });
      }
      return findings;
    },
  };
}

function ignored(t: WindowTotals, config: Config): boolean {
  if (t.kind === "local_user") return config.ignoredLocalUsers.includes(t.identity);
  return config.ignoredScriptPrefixes.some((prefix) => t.identity === prefix || t.identity.startsWith(`${prefix}/`));
}

/** Pure part: totals (script + local_user) and baselines (keyed kind\0host\0identity) → findings. */
export function evaluateWebScripts(totals: readonly WindowTotals[], baselines: ReadonlyMap<string, Baseline>, config: Config): Finding[] {
  const firing: { t: WindowTotals; baseline: Baseline | undefined; bar: number }[] = [];
  for (const t of totals) {
    const baseline = baselines.get(`${t.kind}\u0000${baselineKey(t.hostId, t.identity)}`);
    const { fires, bar } = aboveBaseline(t.received, baseline, { multiplier: config.baselineMultiplier, floor: config.baselineFloorMessages, minimum: config.minMessages });
    if (fires) firing.push({ t, baseline, bar });
  }
  const scripts = firing.filter((x) => x.t.kind === "script");
  const users = new Map<WindowTotals, string[]>();
  const kept = firing.filter((x) => {
    if (x.t.kind !== "local_user") return true;
    const owner = scripts.find((s) => s.t.hostId === x.t.hostId && s.t.queueIds.some((q) => x.t.queueIds.includes(q)));
    if (!owner) return true;
    users.set(owner.t, [...(users.get(owner.t) ?? []), x.t.identity]);
    return false;
  });
  const findings: Finding[] = kept.map(({ t, baseline, bar }) => {
    const what = t.kind === "script" ? "script" : "local user";
    const localUsers = users.get(t) ?? (t.kind === "local_user" ? [t.identity] : []);
    return {
      rule: "web-script" as const,
      scope: "host" as const,
      scopeHost: t.hostId,
      subject: t.identity,
      check: t.kind,
      hosts: [t.hostId],
      severityBoost: t.received >= config.escalateMultiplier * bar ? 1 : 0,
      firstSeenMs: t.firstMs,
      lastSeenMs: t.lastMs,
      summary: `${what} ${t.identity}${localUsers.length > 0 && t.kind === "script" ? ` (user ${localUsers.join(", ")})` : ""} submitted ${t.received} messages in ${config.lookbackMinutes} min (usual p95 ${baseline?.p95 ?? 0}${baseline ? "" : ", no history"}, fires at ${bar}) to ${t.recipientDomains} recipient domains`,
      counts: {
        messages: t.received,
        baseline_p95: baseline?.p95 ?? 0,
        baseline_buckets: baseline?.buckets ?? 0,
        threshold: bar,
        recipient_domains: t.recipientDomains,
        delivered: t.delivered,
        deferred: t.deferred,
        bounced: t.bounced,
      },
      details: { identity_kind: t.kind, identity: t.identity, script: t.kind === "script" ? t.identity : "", local_users: localUsers },
      evidence: { rows: [], sample_lines: t.lines, queue_ids: t.queueIds, message_ids: t.messageIds },
    };
  });
  findings.push(...fleetScripts(totals, config));
  return findings;
}

function fleetScripts(totals: readonly WindowTotals[], config: Config): Finding[] {
  const byPath = new Map<string, WindowTotals[]>();
  for (const t of totals) {
    if (t.kind !== "script" || t.received < config.fleetMinMessages) continue;
    byPath.set(t.identity, [...(byPath.get(t.identity) ?? []), t]);
  }
  const out: Finding[] = [];
  for (const [path, group] of byPath) {
    const hosts = uniqueStrings(group.map((t) => t.hostId)).sort();
    if (hosts.length < config.fleetMinHosts) continue;
    const messages = group.reduce((s, t) => s + t.received, 0);
    out.push({
      rule: "web-script",
      scope: "fleet",
      scopeHost: "",
      subject: path,
      check: "fleet-same-script",
      hosts,
      severityBoost: 0,
      firstSeenMs: Math.min(...group.map((t) => t.firstMs)),
      lastSeenMs: Math.max(...group.map((t) => t.lastMs)),
      summary: `script ${path} submitted ${messages} messages on ${hosts.length} hosts (${hosts.slice(0, 5).join(", ")}) in ${config.lookbackMinutes} min`,
      counts: { messages, hosts: hosts.length },
      details: { identity_kind: "script", identity: path, script: path, per_host: group.map((t) => ({ host: t.hostId, messages: t.received })) },
      evidence: {
        rows: [],
        sample_lines: uniqueStrings(group.flatMap((t) => t.lines), 20),
        queue_ids: uniqueStrings(group.flatMap((t) => t.queueIds), 20),
        message_ids: uniqueStrings(group.flatMap((t) => t.messageIds), 20),
      },
    });
  }
  return out;
}

/** web-script: a web script or local user submitting far above its baseline. */
export const webScriptRule = defineRule({
  name: "web-script",
  configKey: "webScript",
  configSchema: webScriptConfigSchema,
  severity: "high",
  detectors: (config) => [webScriptDetector(config)],
  remediation(f, mtaKind) {
    const d = f.details;
    const script = String(d.script || d.identity || f.subject);
    return [
      `Disable the script ${script}${onHosts(f)} (chmod 000 or move it out of the web root) and look for other files dropped next to it [guide step 3.2: en cas de site Web compromis].`,
      "Update or remove the vulnerable CMS, plugin or contact form; rotate the site's FTP/SSH/CMS passwords.",
      purgeQueueStep(f, mtaKind),
      delistStep(f),
    ];
  },
  doc: [
    {
      check: "script / local_user",
      data: "mail_windows `script`, `local_user`",
      firesWhen: "> 30 messages in 10 min and > 5 × p95 (floor 6); MTA users (Debian-exim, postfix, ...) and MTA spool cwd ignored; a user whose queue ids overlap a firing script is folded into it",
      subject: "the script path (or user)",
    },
    { check: "fleet-same-script (fleet)", data: "", firesWhen: "the same script path with ≥ 10 messages on ≥ 2 hosts", subject: "the path" },
  ],
});
