import type { Registry } from "prom-client";
import { moduleLogger, type Logger } from "../../shared/log/logger.js";
import { ruleSeverity, type AlertConfig } from "../alert/alert-config.js";
import { AlertMetrics } from "../alert/alert-metrics.js";
import { AlertRouter, type DispatchReport } from "../alert/alert-router.js";
import type { Sink } from "../alert/notification.js";
import { createDetectContext } from "../detect/detect-context.js";
import type { DetectConfig } from "../detect/detect-config.js";
import type { Detector } from "../detect/detector.js";
import { buildDetectors, quietMinutesFor } from "../detect/detectors.js";
import { loadFleetHosts } from "../detect/fleet-hosts.js";
import { defaultSeverity, remediationSteps } from "../detect/rule-catalog.js";
import { ClaimBoard } from "../incidents/claim.js";
import { IncidentTracker, type TrackReport } from "../incidents/incident-tracker.js";
import type { RelayCheckConfig } from "../relay-check/relay-check-config.js";
import { relayCheckFinding, startScheduledRelayCheck, type ScheduledRelayCheck } from "../relay-check/scheduled-relay-check.js";
import type { ClickHouseStore } from "../store/clickhouse/store.js";
import type { Finding } from "../vocabulary/finding.js";
import { canonicalIp } from "../vocabulary/ip-networks.js";
import { raiseSeverity } from "../vocabulary/severity.js";
import { configSuppressions, suppressionFor, type Suppression, type SuppressionConfigEntry } from "../suppress/suppression.js";
import { readSuppressions } from "../suppress/suppressions-table.js";
import { DetectionMetrics } from "./detection-metrics.js";

/** What the detection pipeline needs from the collector. */
export interface PipelineDeps {
  /** The collector's store; the schema must include migration 3 (migrations-alerts.ts). */
  store: ClickHouseStore;
  /** config.collectorId: written into incidents and claims. */
  collectorId: string;
  /** config.detect. */
  detect: DetectConfig;
  /** config.alert. */
  alert: AlertConfig;
  /** config.relayCheck: its schedule, when enabled, feeds open-relay findings. */
  relayCheck?: RelayCheckConfig;
  /** config.suppressions; the `suppressions` table (migration 8) is read at every run as well. */
  suppressions?: readonly SuppressionConfigEntry[];
  /** The collector's Prometheus registry (CollectorMetrics.registry), for detection and alert metrics. */
  registry?: Registry;
  logger?: Logger;
  /** Sinks to use instead of those in config.alert (tests). */
  sinks?: Sink[];
  /** Clock (tests); default Date.now. */
  now?: () => number;
  /** Environment for secrets (SPAMTRACE_ALERT_SMTP_PASSWORD). */
  env?: NodeJS.ProcessEnv;
}

/** What one detection run did. */
export interface PipelineRunReport {
  nowMs: number;
  findings: Finding[];
  /** Detectors that failed this run (name → message); the others still ran. */
  errors: Record<string, string>;
  track: TrackReport;
  dispatch: DispatchReport;
  durationMs: number;
}

/** The running pipeline: stop() ends the loop, waits for the current run and closes the sinks. */
export interface RunningPipeline {
  /** Runs the detectors once now (also what the loop does every detect.intervalMs). */
  runOnce(): Promise<PipelineRunReport>;
  /** Waits until every queued notification is sent or failed (tests). */
  drainNotifications(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the collector's data path after the store: every detect.intervalMs,
 * run every enabled detector against ClickHouse (detect/), turn the findings
 * — and those of the scheduled relay check (relay-check/) — into incidents in
 * `alerts` (incidents/), and route open/escalate/resolve events to the sinks
 * (alert/). Runs never overlap; a failing detector is logged and counted, the
 * others still run. Safe to run in several collectors sharing one ClickHouse
 * (incidents converge, each notification is claimed once).
 */
export function startPipeline(deps: PipelineDeps): RunningPipeline {
  const logger = deps.logger ?? moduleLogger("detect");
  const now = deps.now ?? Date.now;
  const metrics = deps.registry ? new DetectionMetrics(deps.registry) : undefined;
  const claims = new ClaimBoard(deps.store, deps.collectorId, deps.detect.claimSettleMs);
  const detectors: Detector[] = buildDetectors(deps.detect);
  const mtaKindOf = new Map<string, string>();
  const fromConfig = configSuppressions(deps.suppressions ?? []);
  for (const s of fromConfig) if (s.expiresAtMs <= now()) logger.warn({ suppression: s.id, rule: s.rule, scope: s.scope, value: s.value }, `suppressions[${s.id.slice(4)}] expired at ${new Date(s.expiresAtMs).toISOString()}: it no longer applies`);
  // The suppressions of the current run (config + table), and its time.
  let active: Suppression[] = fromConfig;
  let runNowMs = 0;
  const tracker = new IncidentTracker({
    store: deps.store,
    collectorId: deps.collectorId,
    severityOf: (f) => raiseSeverity(ruleSeverity(deps.alert, f.rule, defaultSeverity(f.rule)), f.severityBoost),
    quietMinutesOf: (rule) => quietMinutesFor(deps.detect, rule),
    remediationOf: (f) => remediationSteps(f, mtaKindOf.get(f.scopeHost) ?? mtaKindOf.get(f.hosts[0] ?? "") ?? ""),
    suppressionOf: (f) => suppressionFor(f, active, runNowMs),
    logger,
  });
  const router = new AlertRouter({
    config: deps.alert,
    store: deps.store,
    collectorId: deps.collectorId,
    claims,
    logger: moduleLogger("alert"),
    ...(deps.sinks ? { sinks: deps.sinks } : {}),
    ...(deps.registry ? { metrics: new AlertMetrics(deps.registry) } : {}),
    ...(deps.env ? { env: deps.env } : {}),
  });

  // Findings from outside the loop (scheduled relay check), taken by the next run.
  let external: Finding[] = [];
  let fleetAddresses = new Map<string, string>();
  let scheduled: ScheduledRelayCheck | undefined;
  if (deps.relayCheck?.schedule.enabled) {
    scheduled = startScheduledRelayCheck({
      config: deps.relayCheck,
      claims,
      logger: moduleLogger("relay-check"),
      onResults: (results) => {
        for (const r of results) {
          if (r.verdict !== "open") continue;
          external.push(relayCheckFinding(r, fleetAddresses.get(canonicalIp(r.address) ?? r.address) ?? r.target));
        }
      },
    });
  }

  const runOnce = async (): Promise<PipelineRunReport> => {
    const started = Date.now();
    const nowMs = now();
    const fleet = await loadFleetHosts(deps.store);
    fleetAddresses = new Map();
    for (const h of fleet.values()) {
      mtaKindOf.set(h.hostId, h.mtaKind);
      for (const ip of h.ipAddresses) fleetAddresses.set(canonicalIp(ip) ?? ip, h.hostId);
    }
    const ctx = createDetectContext(deps.store, deps.detect, fleet, nowMs);
    const findings: Finding[] = [];
    const errors: Record<string, string> = {};
    for (const detector of detectors) {
      try {
        const found = await detector.detect(ctx);
        for (const f of found) {
          const host = fleet.get(f.scopeHost);
          if (host && f.details.hostname === undefined) f.details.hostname = host.hostname;
          metrics?.findings.inc({ rule: f.rule });
        }
        findings.push(...found);
      } catch (error) {
        errors[detector.name] = (error as Error).message;
        metrics?.detectorErrors.inc({ detector: detector.name });
        logger.warn({ detector: detector.name, err: (error as Error).message }, "detector failed");
      }
    }
    const taken = external;
    external = [];
    findings.push(...taken);
    runNowMs = nowMs;
    active = [...fromConfig, ...(await tableSuppressions(deps.store, nowMs, logger))];
    for (const f of findings) if (suppressionFor(f, active, nowMs) !== undefined) metrics?.suppressed.inc({ rule: f.rule });
    const track = await tracker.apply(findings, nowMs);
    for (const e of track.events) metrics?.incidentEvents.inc({ event: e.kind });
    const dispatch = await router.dispatch(track.events);
    const durationMs = Date.now() - started;
    logger.debug({ findings: findings.length, events: track.events.length, duration_ms: durationMs }, "detection run");
    return { nowMs, findings, errors, track, dispatch, durationMs };
  };

  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const loop = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      const end = metrics?.runSeconds.startTimer();
      current = runOnce()
        .then(() => metrics?.runs.inc({ outcome: "ok" }))
        .catch((error: unknown) => {
          metrics?.runs.inc({ outcome: "failed" });
          logger.warn({ err: (error as Error).message }, "detection run failed; retrying next interval");
        })
        .finally(() => {
          end?.();
          loop();
        });
    }, deps.detect.intervalMs);
  };
  if (deps.detect.enabled) {
    logger.info({ detectors: detectors.map((d) => d.name), interval_ms: deps.detect.intervalMs}, "detection started");
    loop();
  }

  return {
    runOnce,
    drainNotifications: () => router.drain(),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await scheduled?.stop();
      await current.catch(() => undefined);
      await router.close();
    },
  };
}

/** The table's unexpired suppressions; none (logged) when the table cannot be read, so detection goes on. */
async function tableSuppressions(store: ClickHouseStore, nowMs: number, logger: Logger): Promise<Suppression[]> {
  try {
    return await readSuppressions(store, store.database, { activeAtMs: nowMs });
  } catch (error) {
    logger.warn({ err: (error as Error).message }, "cannot read the suppressions table; only the collector config's suppressions apply this run");
    return [];
  }
}
