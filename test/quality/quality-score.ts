// Scoring of a detection-quality run: which expected incidents were found
// with their culprit, which incidents were false alerts, and the time from
// each scenario's first activity to its incidents; printed as a table.
import { isMerged } from "./pending-fixes.js";
import type { ExpectedIncident, ObservedIncident, Scenario, ScenarioRun } from "./scenario.js";

/** One expected incident and what became of it. */
export interface ExpectationResult {
  scenario: string;
  expected: ExpectedIncident;
  /** The incident that named the culprit, if any. */
  found: ObservedIncident | undefined;
  /** When that incident first named the culprit (the version whose summary did), ms since the epoch. */
  namedAtMs: number | undefined;
  /** Incidents of the expected rule that did not name the culprit (wrong culprit). */
  wrongCulprit: ObservedIncident[];
  /** First activity → incident opened, ms. */
  latencyMs: number | undefined;
  /** The attack crossing the rule's bar (its barMark) → incident opened, ms. */
  detectionMs: number | undefined;
  /** Asserted (its fix is merged, or it needs none). */
  asserted: boolean;
}

/** An incident that is no expected one: a false alert unless it names an attack's actor. */
export interface UnexpectedIncident {
  incident: ObservedIncident;
  /** Scenarios whose actors it names. */
  owners: string[];
  /** A false alert: owned by no attack (a look-alike's, or nobody's). */
  falseAlert: boolean;
  /** Asserted: false alerts of a look-alike waiting for a fix are reported only. */
  asserted: boolean;
}

/** The scored run. */
export interface QualityScore {
  expectations: ExpectationResult[];
  unexpected: UnexpectedIncident[];
  /** p50/p95 of first activity → incident over found expectations (all / asserted), ms. */
  latency: { p50: number | undefined; p95: number | undefined; count: number };
}

/** Nearest-rank percentile of ms values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Does an incident name any of a scenario's actors? */
export function namesActor(incident: ObservedIncident, scenario: Scenario): boolean {
  return scenario.actors.some((a) => incident.subject.includes(a) || incident.summary.includes(a));
}

/** When an incident first named the expected culprit: its earliest version the culprit check accepts (undefined: none does). */
export function namedCulpritAt(incident: ObservedIncident, e: ExpectedIncident): number | undefined {
  const versions = incident.versions.length > 0 ? incident.versions : [{ atMs: incident.openedAtMs, summary: incident.summary }];
  const at = versions.filter((v) => e.culprit({ ...incident, summary: v.summary })).map((v) => v.atMs);
  // A version rewritten since (merged away) still names it in the newest summary: the incident's opening is the best bound left.
  return at.length > 0 ? Math.max(incident.openedAtMs, Math.min(...at)) : e.culprit(incident) ? incident.openedAtMs : undefined;
}

/** Scores the incidents of a run against its scenarios. */
export function scoreRun(scenarios: readonly Scenario[], runs: ReadonlyMap<string, ScenarioRun>, incidents: readonly ObservedIncident[]): QualityScore {
  const matched = new Set<ObservedIncident>();
  const expectations: ExpectationResult[] = [];
  for (const s of scenarios) {
    for (const e of s.expected) {
      const ofRule = incidents.filter((i) => i.rule === e.rule);
      const named = ofRule.flatMap((i) => (e.culprit(i) ? [{ i, at: namedCulpritAt(i, e) ?? i.openedAtMs }] : [])).sort((a, b) => a.at - b.at)[0];
      const found = named?.i;
      if (found) matched.add(found);
      const run = runs.get(s.name);
      const first = run?.firstActivityMs;
      const bar = e.barMark === undefined ? undefined : run?.marks?.[e.barMark];
      expectations.push({
        scenario: s.name,
        expected: e,
        found,
        namedAtMs: named?.at,
        wrongCulprit: found ? [] : ofRule.filter((i) => namesActor(i, s)),
        latencyMs: named && first !== undefined && !e.raisedByConfiguration ? Math.max(0, named.at - first) : undefined,
        detectionMs: named && bar !== undefined ? named.at - bar : undefined,
        asserted: isMerged(e.needs),
      });
    }
  }
  const unexpected: UnexpectedIncident[] = [];
  for (const incident of incidents) {
    if (matched.has(incident)) continue;
    const owners = scenarios.filter((s) => namesActor(incident, s));
    const byAttack = owners.some((s) => s.expected.length > 0);
    const falseAlert = !byAttack;
    unexpected.push({ incident, owners: owners.map((s) => s.name), falseAlert, asserted: falseAlert && (owners.length === 0 || owners.every((s) => isMerged(s.needs))) });
  }
  const latencies = expectations.flatMap((e) => (e.latencyMs === undefined ? [] : [e.latencyMs]));
  return { expectations, unexpected, latency: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), count: latencies.length } };
}

const seconds = (ms: number | undefined): string => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);

/** The printed table: one line per expected incident, then unexpected incidents, then the totals. */
export function formatScore(score: QualityScore): string {
  const rows = score.expectations.map((e) => {
    const verdict = e.found ? "found" : e.wrongCulprit.length > 0 ? "WRONG CULPRIT" : "MISSED";
    const pending = e.asserted ? "" : ` (needs ${e.expected.needs} fix: not asserted)`;
    const latency = e.expected.raisedByConfiguration && e.found ? "at start (configuration, not traffic)" : seconds(e.latencyMs);
    return `| ${e.scenario} | ${e.expected.rule} | ${e.expected.culpritLabel} | ${verdict}${pending} | ${latency} | ${e.expected.barMark ?? ""} | ${seconds(e.detectionMs)} |`;
  });
  const extra = score.unexpected.map((u) => {
    const what = u.falseAlert ? (u.asserted ? "FALSE ALERT" : "false alert (look-alike waiting for a fix: not asserted)") : "extra incident about an attacker";
    return `| ${u.owners.join(", ") || "(no scenario)"} | ${u.incident.rule} | ${u.incident.subject} (${u.incident.hosts.join(", ")}) | ${what}: ${u.incident.summary.slice(0, 160)} | | | |`;
  });
  const found = score.expectations.filter((e) => e.found).length;
  const foundAsserted = score.expectations.filter((e) => e.found && e.asserted).length;
  const asserted = score.expectations.filter((e) => e.asserted).length;
  const falseAlerts = score.unexpected.filter((u) => u.falseAlert);
  const byRule = new Map<string, number[]>();
  for (const e of score.expectations) if (e.latencyMs !== undefined) byRule.set(e.expected.rule, [...(byRule.get(e.expected.rule) ?? []), e.latencyMs]);
  const bars = score.expectations.flatMap((e) => (e.detectionMs === undefined ? [] : [e.detectionMs]));
  const perRule = [...byRule].sort(([a], [b]) => a.localeCompare(b)).map(([rule, ms]) => `${rule} p50 ${seconds(percentile(ms, 50))} p95 ${seconds(percentile(ms, 95))} (${ms.length})`);
  const lines = [
    "| scenario | rule | culprit | result | first activity → incident | rule's bar reached at | bar → incident |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    ...extra,
    "",
    `recall (right rule, right culprit): ${found}/${score.expectations.length} (asserted: ${foundAsserted}/${asserted})`,
    `false alerts: ${falseAlerts.length} (asserted: ${falseAlerts.filter((u) => u.asserted).length})`,
    `first activity → incident over ${score.latency.count} incidents: p50 ${seconds(score.latency.p50)}, p95 ${seconds(score.latency.p95)}`,
    `per rule: ${perRule.join("; ")}`,
    `rule's bar reached → incident over ${bars.length} incidents: p50 ${seconds(percentile(bars, 50))}, p95 ${seconds(percentile(bars, 95))}`,
  ];
  return lines.join("\n");
}

/** Durations of the collector's detection runs, from its JSON log at debug level ("detection run"); undefined when not logged. */
export function detectionRunDigest(log: string): string | undefined {
  const durations = log
    .split("\n")
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; duration_ms?: number };
        return entry.msg === "detection run" && typeof entry.duration_ms === "number" ? [entry.duration_ms] : [];
      } catch {
        return [];
      }
    });
  if (durations.length === 0) return undefined;
  return `detection runs: ${durations.length}, duration p50 ${seconds(percentile(durations, 50))}, p95 ${seconds(percentile(durations, 95))}, max ${seconds(Math.max(...durations))}`;
}
