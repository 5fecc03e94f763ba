import type { Logger } from "../../shared/log/logger.js";
import { mergeEvidence, uniqueStrings, type Finding } from "../vocabulary/finding.js";
import { maxSeverity, severityRank, type Severity } from "../vocabulary/severity.js";
import type { ClickHouseStore } from "../store/clickhouse/store.js";
import { previousIncidentIds, readIncidents, writeIncidents } from "./alerts-table.js";
import { incidentId, incidentKey, type Incident } from "./incident.js";

/** What happened to an incident in a run that may deserve a notification. */
export interface IncidentEvent {
  kind: "open" | "escalate" | "resolve";
  incident: Incident;
}

/** What the tracker needs besides the store. */
export interface IncidentTrackerOptions {
  store: ClickHouseStore;
  /** Written into every version this tracker writes. */
  collectorId: string;
  /** Severity of a finding: the rule's configured base severity raised by the finding's boost. */
  severityOf(finding: Finding): Severity;
  /** Minutes without activity after which an incident of `rule` is resolved. */
  quietMinutesOf(rule: string): number;
  /** Remediation steps for a finding (rule + what it names + the host's MTA). */
  remediationOf(finding: Finding): string[];
  /**
   * The suppression covering a finding at this run, if any (collector/suppress/):
   * its incident is stored with the suppression's id and reason and raises no
   * events, so nothing is notified.
   */
  suppressionOf?(finding: Finding): { id: string; reason: string } | undefined;
  logger?: Logger;
}

/** What one {@link IncidentTracker.apply} did. */
export interface TrackReport {
  events: IncidentEvent[];
  opened: number;
  updated: number;
  resolved: number;
  /** Opened or updated incidents a suppression covers (recorded, no events). */
  suppressed: number;
  /** Incident versions written. */
  written: number;
}

/**
 * Turns findings into incidents kept in `alerts`. The shared table is the
 * state, not this process's memory: every run reads the open incidents
 * (FINAL), matches findings by (rule, scope, host, subject), and writes a
 * new version only when something changed — new last activity, higher
 * severity, new hosts or evidence. Incidents without activity for the rule's
 * quiet period are resolved. Collectors running this concurrently derive the
 * same incident ids (see incidentId) and converge on one row per incident;
 * which of them notifies is decided later by a claim.
 */
export class IncidentTracker {
  constructor(private readonly opts: IncidentTrackerOptions) {}

  /** Applies one run's findings at `nowMs`. */
  async apply(findings: readonly Finding[], nowMs: number): Promise<TrackReport> {
    const merged = mergeFindings(findings);
    const open = await readIncidents(this.opts.store, { status: "open", limit: 100_000 });
    const openByKey = new Map<string, Incident>();
    // Two racing collectors may leave two open incidents of one key only if they disagreed on the previous one; keep the oldest.
    for (const i of [...open].sort((a, b) => a.openedAtMs - b.openedAtMs)) if (!openByKey.has(i.key)) openByKey.set(i.key, i);

    const fresh = [...merged.keys()].filter((k) => !openByKey.has(k));
    const previous = await previousIncidentIds(this.opts.store, fresh);
    const report: TrackReport = { events: [], opened: 0, updated: 0, resolved: 0, suppressed: 0, written: 0 };
    const writes: Incident[] = [];

    for (const [key, f] of merged) {
      const current = openByKey.get(key);
      if (current === undefined) {
        const incident = this.open(key, f, previous.get(key) ?? "", nowMs);
        writes.push(incident);
        report.opened++;
        if (incident.suppressionId !== "") report.suppressed++;
        else report.events.push({ kind: "open", incident });
        continue;
      }
      const next = this.update(current, f, nowMs);
      if (next === null) continue;
      writes.push(next);
      report.updated++;
      if (next.suppressionId !== "") report.suppressed++;
      // Recorded while suppressed, never notified: the first unsuppressed version is its open (a claim makes it once).
      else if (current.suppressionId !== "") report.events.push({ kind: "open", incident: next });
      else if (severityRank(next.severity) > severityRank(current.severity)) report.events.push({ kind: "escalate", incident: next });
    }

    for (const i of open) {
      if (merged.has(i.key) && openByKey.get(i.key) === i) continue;
      if (nowMs - i.lastSeenMs < this.opts.quietMinutesOf(i.rule) * 60_000) continue;
      const resolved: Incident = { ...i, status: "resolved", resolvedAtMs: nowMs, updatedAtMs: nowMs, collectorId: this.opts.collectorId, version: nextVersion(i, nowMs) };
      writes.push(resolved);
      if (i.suppressionId === "") report.events.push({ kind: "resolve", incident: resolved });
      report.resolved++;
    }

    if (writes.length > 0) await writeIncidents(this.opts.store, writes);
    report.written = writes.length;
    if (report.opened + report.resolved > 0) {
      this.opts.logger?.info({ opened: report.opened, updated: report.updated, resolved: report.resolved, suppressed: report.suppressed }, "incidents changed");
    }
    return report;
  }

  private open(key: string, f: Finding, previousIncidentId: string, nowMs: number): Incident {
    const suppression = this.opts.suppressionOf?.(f);
    return {
      id: incidentId(key, previousIncidentId),
      key,
      rule: f.rule,
      scope: f.scope,
      scopeHost: f.scopeHost,
      subject: f.subject,
      severity: this.opts.severityOf(f),
      status: "open",
      hosts: [...f.hosts].sort(),
      summary: f.summary,
      // The open time is data time, not the detecting collector's clock, so concurrent openers write the same partition and row.
      openedAtMs: f.firstSeenMs || nowMs,
      firstSeenMs: f.firstSeenMs,
      lastSeenMs: f.lastSeenMs,
      updatedAtMs: nowMs,
      resolvedAtMs: 0,
      detections: 1,
      counts: f.counts,
      details: { ...f.details, checks: [f.check] },
      evidence: f.evidence,
      remediation: this.opts.remediationOf(f),
      previousIncidentId,
      collectorId: this.opts.collectorId,
      version: nowMs,
      suppressionId: suppression?.id ?? "",
      suppressionReason: suppression?.reason ?? "",
    };
  }

  /** The next version of an open incident given a new finding, or null when nothing worth writing changed. */
  private update(current: Incident, f: Finding, nowMs: number): Incident | null {
    const severity = maxSeverity(current.severity, this.opts.severityOf(f));
    const hosts = uniqueStrings([...current.hosts, ...f.hosts]).sort();
    const evidence = mergeEvidence(f.evidence, current.evidence);
    const checks = uniqueStrings([...(Array.isArray(current.details.checks) ? (current.details.checks as string[]) : []), f.check]);
    const suppression = this.opts.suppressionOf?.(f);
    const changed =
      (suppression?.id ?? "") !== current.suppressionId ||
      f.lastSeenMs > current.lastSeenMs ||
      severity !== current.severity ||
      hosts.length !== current.hosts.length ||
      checks.length !== (current.details.checks as string[] | undefined)?.length ||
      JSON.stringify(evidence) !== JSON.stringify(current.evidence);
    if (!changed) return null;
    return {
      ...current,
      severity,
      hosts,
      summary: f.summary,
      firstSeenMs: Math.min(current.firstSeenMs || f.firstSeenMs, f.firstSeenMs || current.firstSeenMs),
      lastSeenMs: Math.max(current.lastSeenMs, f.lastSeenMs),
      updatedAtMs: nowMs,
      detections: current.detections + 1,
      counts: f.counts,
      details: { ...current.details, ...f.details, checks },
      evidence,
      remediation: this.opts.remediationOf(f),
      collectorId: this.opts.collectorId,
      version: nextVersion(current, nowMs),
      suppressionId: suppression?.id ?? "",
      suppressionReason: suppression?.reason ?? "",
    };
  }
}

// Versions must grow even if this collector's clock is behind the one that wrote the current version.
function nextVersion(current: Incident, nowMs: number): number {
  return Math.max(nowMs, current.version + 1);
}

/** Findings of one run grouped by incident key: several checks of a rule naming the same subject become one. */
export function mergeFindings(findings: readonly Finding[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const f of findings) {
    const key = incidentKey(f);
    const prior = out.get(key);
    if (prior === undefined) {
      out.set(key, { ...f, hosts: [...f.hosts] });
      continue;
    }
    out.set(key, {
      ...prior,
      check: prior.check === f.check ? prior.check : `${prior.check}+${f.check}`,
      hosts: uniqueStrings([...prior.hosts, ...f.hosts]).sort(),
      severityBoost: Math.max(prior.severityBoost, f.severityBoost),
      firstSeenMs: Math.min(prior.firstSeenMs, f.firstSeenMs),
      lastSeenMs: Math.max(prior.lastSeenMs, f.lastSeenMs),
      summary: `${prior.summary}; ${f.summary}`,
      counts: { ...prior.counts, ...f.counts },
      details: { ...prior.details, ...f.details },
      evidence: mergeEvidence(f.evidence, prior.evidence),
    });
  }
  return out;
}
