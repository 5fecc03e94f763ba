import type { Logger } from "../../shared/log/logger.js";
import type { Finding } from "../vocabulary/finding.js";
import type { Claims } from "../incidents/claim.js";
import { runRelayChecks, type RelayCheckResult } from "./relay-check.js";
import type { RelayCheckConfig } from "./relay-check-config.js";
import type { Resolver } from "./relay-target.js";

/** A running scheduled relay check. */
export interface ScheduledRelayCheck {
  /** Runs now (if this collector wins the interval's claim); null when another collector runs it. */
  runOnce(): Promise<RelayCheckResult[] | null>;
  stop(): Promise<void>;
}

/**
 * Runs the active relay check on relayCheck.schedule.targets every
 * intervalMinutes. With several collectors, each interval is claimed so one
 * collector runs it. Results go to `onResults` (the detection loop turns
 * "open" ones into open-relay findings).
 */
export function startScheduledRelayCheck(opts: {
  config: RelayCheckConfig;
  onResults: (results: RelayCheckResult[]) => void | Promise<void>;
  claims?: Claims;
  logger?: Logger;
  resolve?: Resolver;
  /** Delay before the first run, ms (default: one detection interval's worth, 10 s). */
  firstRunDelayMs?: number;
}): ScheduledRelayCheck {
  const intervalMs = opts.config.schedule.intervalMinutes * 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const runOnce = async (): Promise<RelayCheckResult[] | null> => {
    const bucket = Math.floor(Date.now() / intervalMs);
    if (opts.claims) {
      const won = await opts.claims.claim([`relay-check:${bucket}`]);
      if (!won.has(`relay-check:${bucket}`)) return null;
    }
    const results = await runRelayChecks(opts.config.schedule.targets, opts.config, opts.resolve);
    for (const r of results) opts.logger?.info({ target: r.target, address: r.address, port: r.port, verdict: r.verdict, accepted: r.acceptedRecipients, error: r.error }, "relay check");
    await opts.onResults(results);
    return results;
  };

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .catch((error: unknown) => opts.logger?.error({ err: (error as Error).message }, "scheduled relay check failed"))
        .finally(() => schedule(intervalMs));
    }, delayMs);
    timer.unref();
  };
  if (opts.config.schedule.enabled && opts.config.schedule.targets.length > 0) schedule(opts.firstRunDelayMs ?? 10_000);

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** The open-relay finding of an "open" check result, about `hostId` (the fleet host owning the address, else the target). */
export function relayCheckFinding(result: RelayCheckResult, hostId: string): Finding {
  const listener = result.address.includes(":") ? `[${result.address}]:${result.port}` : `${result.address}:${result.port}`;
  return {
    rule: "open-relay",
    scope: "host",
    scopeHost: hostId,
    subject: hostId,
    check: "active",
    hosts: [hostId],
    severityBoost: 0,
    firstSeenMs: result.checkedAtMs,
    lastSeenMs: result.checkedAtMs + result.durationMs,
    summary: `${listener} accepted RCPT TO for outside recipients ${result.acceptedRecipients.join(", ")} from the relay check (never DATA)`,
    counts: { accepted_recipients: result.acceptedRecipients.length },
    details: { listeners: [listener], accepted_recipients: result.acceptedRecipients, relay_check_target: result.target },
    evidence: {
      rows: [{ table: "relay_check", host_id: hostId, at_unix_ms: result.checkedAtMs, values: { target: result.target, address: result.address, port: result.port, verdict: result.verdict, transcript: result.transcript } }],
      sample_lines: result.transcript.map((t) => `${t.command ? `> ${t.command}\n` : ""}< ${t.reply}`),
      queue_ids: [],
      message_ids: [],
    },
  };
}
