/** How urgent an incident is, lowest first. */
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;

/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** Position of a severity in {@link SEVERITIES} (low = 0). */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The severity `steps` levels above `severity` (below when negative), kept within low..critical. */
export function raiseSeverity(severity: Severity, steps = 1): Severity {
  return SEVERITIES[Math.max(0, Math.min(SEVERITIES.length - 1, severityRank(severity) + steps))]!;
}

/** The higher of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}
