import { Counter, Histogram, type Registry } from "prom-client";

/** Prometheus metrics of detection runs and incidents (alerting has its own: alert/alert-metrics.ts), registered on the collector's registry (served at /metrics). */
export class DetectionMetrics {
  /** Detection runs, by outcome (ok, failed). */
  readonly runs: Counter<"outcome">;
  /** Duration of a detection run (all detectors + incident tracking), seconds. */
  readonly runSeconds: Histogram;
  /** Findings, by rule. */
  readonly findings: Counter<"rule">;
  /** Detector failures (store errors), by detector. */
  readonly detectorErrors: Counter<"detector">;
  /** Incident events, by kind (open, escalate, resolve). */
  readonly incidentEvents: Counter<"event">;
  /** Findings a suppression covered (their incidents recorded, not notified), by rule. */
  readonly suppressed: Counter<"rule">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.runs = new Counter({ name: "spamtrace_detect_runs_total", help: "Detection runs, by outcome", labelNames: ["outcome"], registers });
    this.runSeconds = new Histogram({ name: "spamtrace_detect_run_seconds", help: "Duration of one detection run, seconds", buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.findings = new Counter({ name: "spamtrace_detect_findings_total", help: "Findings, by rule", labelNames: ["rule"], registers });
    this.detectorErrors = new Counter({ name: "spamtrace_detect_detector_errors_total", help: "Detector failures, by detector", labelNames: ["detector"], registers });
    this.incidentEvents = new Counter({ name: "spamtrace_incident_events_total", help: "Incident events, by kind", labelNames: ["event"], registers });
    this.suppressed = new Counter({ name: "spamtrace_detect_findings_suppressed_total", help: "Findings a suppression covered (recorded, not notified), by rule", labelNames: ["rule"], registers });
  }
}
