import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../shared/log/logger.js";
import type { AlertMetrics } from "./alert-metrics.js";
import { severityRank } from "../vocabulary/severity.js";
import type { Claims } from "../incidents/claim.js";
import type { IncidentEvent } from "../incidents/incident-tracker.js";
import { toClickHouseDateTime } from "../store/clickhouse/datetime.js";
import type { ClickHouseStore } from "../store/clickhouse/store.js";
import type { AlertConfig } from "./alert-config.js";
import { EmailSink } from "./email-sink.js";
import type { Sink } from "./notification.js";
import { RateLimiter } from "./rate-limiter.js";
import { withRetries } from "./retry.js";
import { WebhookSink } from "./webhook-sink.js";

/** Dependencies of the router. */
export interface AlertRouterOptions {
  config: AlertConfig;
  store: ClickHouseStore;
  collectorId: string;
  claims: Claims;
  /** Sinks to use instead of building them from config (tests). */
  sinks?: Sink[];
  logger?: Logger;
  metrics?: AlertMetrics;
  env?: NodeJS.ProcessEnv;
}

/** What dispatch() did with a batch of events. */
export interface DispatchReport {
  /** Events this collector won the claim for and queued. */
  claimed: number;
  /** Events another collector claimed. */
  lost: number;
  /** Notifications queued (claimed events × their sinks). */
  queued: number;
  /** Notifications dropped because a sink's queue was full. */
  dropped: number;
}

interface Queued {
  event: IncidentEvent;
  queuedAtMs: number;
}

/** The once-only key of an event: an incident notifies once per open, once per severity reached, once per resolve. */
export function notificationClaimKey(event: IncidentEvent): string {
  const i = event.incident;
  return event.kind === "escalate" ? `notify:escalate:${i.id}:${i.severity}` : `notify:${event.kind}:${i.id}`;
}

/**
 * Routes incident events to sinks. Per event: is the event kind enabled,
 * which sinks take the rule and severity (alert.rules.<rule>.sinks, each
 * sink's minSeverity and rules), and did this collector win the event's
 * claim (so N collectors send it once). Won notifications go to a per-sink
 * queue served in order under a token bucket (maxPerMinute), each sent with
 * retries and exponential backoff, and recorded in alert_notifications.
 * Updates of an incident never reach the router, so an incident notifies at
 * most once per open / severity level / resolve.
 */
export class AlertRouter {
  private readonly sinks: Sink[];
  private readonly queues = new Map<string, Queued[]>();
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly workers = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly opts: AlertRouterOptions) {
    this.sinks = opts.sinks ?? [...opts.config.webhooks.map((w) => new WebhookSink(w)), ...opts.config.email.map((e) => new EmailSink(e, opts.env))];
    for (const sink of this.sinks) {
      this.queues.set(sink.name, []);
      this.limiters.set(sink.name, new RateLimiter(opts.config.maxPerMinute));
    }
  }

  /** Sink names an event goes to under the config. */
  routesOf(event: IncidentEvent): string[] {
    const { config } = this.opts;
    if (!config.events.includes(event.kind)) return [];
    const i = event.incident;
    const chosen = config.rules[i.rule]?.sinks;
    const filters = new Map([...config.webhooks, ...config.email].map((s) => [s.name, s]));
    return this.sinks
      .map((s) => s.name)
      .filter((name) => chosen === undefined || chosen.includes(name))
      .filter((name) => {
        const f = filters.get(name);
        if (f === undefined) return true;
        return severityRank(i.severity) >= severityRank(f.minSeverity) && (f.rules === undefined || f.rules.includes(i.rule));
      });
  }

  /** Claims the events' notifications and queues the ones this collector won. */
  async dispatch(events: readonly IncidentEvent[]): Promise<DispatchReport> {
    const report: DispatchReport = { claimed: 0, lost: 0, queued: 0, dropped: 0 };
    const routed = events.map((event) => ({ event, sinks: this.routesOf(event) })).filter((r) => r.sinks.length > 0);
    if (routed.length === 0) return report;
    const won = await this.opts.claims.claim(routed.map((r) => notificationClaimKey(r.event)));
    const now = Date.now();
    for (const { event, sinks } of routed) {
      if (!won.has(notificationClaimKey(event))) {
        report.lost++;
        continue;
      }
      report.claimed++;
      for (const sink of sinks) {
        const queue = this.queues.get(sink)!;
        if (queue.length >= this.opts.config.maxQueued) {
          report.dropped++;
          this.opts.logger?.error({ sink, incident: event.incident.id, event: event.kind }, "alert queue full: notification dropped");
          this.opts.metrics?.notifications.inc({ sink, outcome: "dropped" });
          await this.record(event, sink, "dropped", 0, "queue full", now);
          continue;
        }
        queue.push({ event, queuedAtMs: now });
        report.queued++;
        this.opts.metrics?.queueDepth.set({ sink }, queue.length);
        this.kick(sink);
      }
    }
    return report;
  }

  /** Resolves when every queue is empty and no send is in flight. */
  async drain(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers.values()]);
  }

  /** Stops sending (pending notifications are abandoned and logged), closes the sinks. */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.workers.values()]);
    for (const [sink, queue] of this.queues) {
      if (queue.length > 0) this.opts.logger?.warn({ sink, pending: queue.length }, "alert router closed with notifications pending");
    }
    await Promise.all(this.sinks.map((s) => s.close()));
  }

  private kick(sinkName: string): void {
    if (this.workers.has(sinkName)) return;
    const worker = this.serve(sinkName).finally(() => {
      this.workers.delete(sinkName);
      // An item queued between the loop's last check and here would otherwise wait for the next dispatch.
      if ((this.queues.get(sinkName)?.length ?? 0) > 0 && !this.abort.signal.aborted) this.kick(sinkName);
    });
    this.workers.set(sinkName, worker);
  }

  private async serve(sinkName: string): Promise<void> {
    const sink = this.sinks.find((s) => s.name === sinkName)!;
    const queue = this.queues.get(sinkName)!;
    const limiter = this.limiters.get(sinkName)!;
    const signal = this.abort.signal;
    while (queue.length > 0 && !signal.aborted) {
      const wait = limiter.take();
      if (wait > 0) {
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          return;
        }
      }
      const item = queue.shift()!;
      this.opts.metrics?.queueDepth.set({ sink: sinkName }, queue.length);
      const { event } = item;
      try {
        const attempts = await withRetries(() => sink.send(event), this.opts.config.retry, {
          signal,
          onRetry: (attempt, error, delayMs) =>
            this.opts.logger?.warn({ sink: sinkName, incident: event.incident.id, attempt, delay_ms: delayMs, err: (error as Error).message }, "notification failed, retrying"),
        });
        const sentMs = Date.now();
        this.opts.metrics?.notifications.inc({ sink: sinkName, outcome: "sent" });
        if (event.kind === "open") this.opts.metrics?.notificationLatency.observe(Math.max(0, sentMs - event.incident.firstSeenMs) / 1000);
        this.opts.logger?.info({ sink: sinkName, incident: event.incident.id, event: event.kind, rule: event.incident.rule, attempts }, "notification sent");
        await this.record(event, sinkName, "sent", attempts, "", sentMs);
      } catch (error) {
        const attempts = (error as { attempts?: number }).attempts ?? 1;
        this.opts.metrics?.notifications.inc({ sink: sinkName, outcome: "failed" });
        // The abuse team did not hear about this incident: operator action needed.
        this.opts.logger?.error({ sink: sinkName, incident: event.incident.id, event: event.kind, attempts, err: (error as Error).message }, "notification failed for good");
        await this.record(event, sinkName, "failed", attempts, (error as Error).message, Date.now());
      }
    }
  }

  private async record(event: IncidentEvent, sinkName: string, outcome: string, attempts: number, error: string, atMs: number): Promise<void> {
    const sink = this.sinks.find((s) => s.name === sinkName);
    try {
      await this.opts.store.insert("alert_notifications", [
        {
          incident_id: event.incident.id,
          event: event.kind,
          rule: event.incident.rule,
          severity: event.incident.severity,
          subject: event.incident.subject,
          sink: sinkName,
          sink_type: sink?.type ?? "",
          outcome,
          attempts,
          error: error.slice(0, 1000),
          sent_at: toClickHouseDateTime(atMs),
          sent_at_unix_ms: atMs,
          collector_id: this.opts.collectorId,
        },
      ]);
    } catch (e) {
      this.opts.logger?.warn({ err: (e as Error).message, incident: event.incident.id }, "cannot record notification in alert_notifications");
    }
  }
}
