import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Prometheus metrics of alerting, registered on the collector's registry (served at /metrics). */
export class AlertMetrics {
  /** Notifications, by sink and outcome (sent, failed, dropped). */
  readonly notifications: Counter<"sink" | "outcome">;
  /** From the first activity of an incident (data time) to its notification being sent, seconds. */
  readonly notificationLatency: Histogram;
  /** Notifications waiting per sink. */
  readonly queueDepth: Gauge<"sink">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.notifications = new Counter({ name: "spamtrace_alert_notifications_total", help: "Notifications, by sink and outcome", labelNames: ["sink", "outcome"], registers });
    this.notificationLatency = new Histogram({
      name: "spamtrace_alert_notification_latency_seconds",
      help: "From an incident's first activity (data time) to its open notification being sent, seconds",
      buckets: [5, 15, 30, 60, 90, 120, 180, 300, 600, 1800],
      registers,
    });
    this.queueDepth = new Gauge({ name: "spamtrace_alert_queue_depth", help: "Notifications waiting, by sink", labelNames: ["sink"], registers });
  }
}
