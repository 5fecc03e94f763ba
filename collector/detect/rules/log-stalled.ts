import type { z } from "zod";
import { dateTimeAt, inList, num, strings } from "../../store/clickhouse/sql.js";
import type { Finding } from "../../vocabulary/finding.js";
import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import type { FleetHost } from "../fleet-hosts.js";
import { onHosts } from "../remediation-steps.js";
import { count, minutes, ruleConfigSchema } from "../rule-config.js";
import { defineRule } from "../rule.js";

/** detect.rules.logStalled: the MTA log stopped growing while the MTA keeps handling SMTP connections. */
export const logStalledConfigSchema = ruleConfigSchema({
  /** Minutes without a single new log line before the log counts as stalled. */
  lookbackMinutes: minutes(30),
  /** The log must have grown within this many minutes (so the probe does follow a log there). */
  historyMinutes: minutes(1440),
  /** SMTP connections the MTA handled in the lookback (inbound, or outbound by its own executables) before silence counts. */
  minConnections: count(5),
});

type Config = z.output<typeof logStalledConfigSchema>;

/** A host whose log grew in the history but not in the lookback (from log_read_stats). */
export interface StalledLog {
  hostId: string;
  /** Log files the probe read lines from in the history. */
  paths: string[];
  /** Last batch that carried new lines, ms. */
  lastGrowthMs: number;
  /** Lines read over the history. */
  historyLines: number;
}

/** SMTP sockets of one host, direction and executable in the lookback (from socket_snapshots). */
export interface SmtpActivity {
  hostId: string;
  direction: string;
  exe: string;
  /** Distinct (local port, remote address, remote port): connections, or listening ports for "listen". */
  connections: number;
  firstMs: number;
  lastMs: number;
}

/**
 * log-stalled: a host's MTA log grew within historyMinutes but has not grown
 * for lookbackMinutes, while its MTA evidently runs: the socket snapshots of
 * the same minutes show it listening on an SMTP port and handling at least
 * minConnections connections (inbound to its listener, or outbound by one of
 * the executables its Hello lists). Every accepted connection and every
 * delivery writes a log line, so this is logging broken (syslog stopped,
 * the file moved or not reopened after rotation, a full disk) or switched off
 * on purpose — and every log-based rule is blind on that host meanwhile.
 *
 * Why these signals: log_read_stats rows come only with new lines, so
 * silence is the absence of rows after earlier ones; socket snapshots arrive
 * every few seconds from a live probe, so a stopped probe (no snapshots) never
 * fires; a listener alone is not enough (an idle MTA logs nothing), nor is a
 * queue listing (`exim -bp` reads the spool with the daemon stopped, and
 * deferred retries may be hours apart).
 */
export function logStalledDetector(config: Config): Detector {
  return {
    name: "log-stalled/silent-log",
    rule: "log-stalled",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.lookbackMinutes);
      const stats = await ctx.store.query<Record<string, unknown>>(
        `SELECT host_id, groupUniqArray(path) AS paths, max(toUnixTimestamp(observed_at)) AS last_growth_s, sum(lines) AS history_lines
FROM ${ctx.table("log_read_stats")}
WHERE lines > 0 AND observed_at >= ${dateTimeAt(lookbackStart(ctx, config.historyMinutes))} AND observed_at <= ${dateTimeAt(ctx.nowMs)}
GROUP BY host_id
HAVING max(observed_at) < ${dateTimeAt(fromMs)}`,
      );
      const stalled: StalledLog[] = stats.map((r) => ({
        hostId: String(r.host_id),
        paths: strings(r.paths).sort(),
        lastGrowthMs: num(r.last_growth_s) * 1000,
        historyLines: num(r.history_lines),
      }));
      if (stalled.length === 0) return [];
      const rows = await ctx.store.query<Record<string, unknown>>(
        `SELECT host_id, direction, exe, uniqExact(local_port, remote_address, remote_port) AS connections,
  min(observed_at_unix_ms) AS first_ms, max(observed_at_unix_ms) AS last_ms
FROM ${ctx.table("socket_snapshots")}
WHERE host_id IN ${inList(stalled.map((s) => s.hostId))} AND observed_at >= ${dateTimeAt(fromMs)} AND observed_at <= ${dateTimeAt(ctx.nowMs)}
GROUP BY host_id, direction, exe`,
      );
      const activity: SmtpActivity[] = rows.map((r) => ({
        hostId: String(r.host_id),
        direction: String(r.direction),
        exe: String(r.exe ?? ""),
        connections: num(r.connections),
        firstMs: num(r.first_ms),
        lastMs: num(r.last_ms),
      }));
      return evaluateLogStalled({ stalled, activity, fleet: ctx.fleet, config, nowMs: ctx.nowMs });
    },
  };
}

/** Pure part: stalled logs + SMTP activity + the hosts' MTA executables → findings. */
export function evaluateLogStalled(input: {
  stalled: readonly StalledLog[];
  activity: readonly SmtpActivity[];
  fleet: ReadonlyMap<string, FleetHost>;
  config: Config;
  /** "Now" of the run, ms: the log has been silent since its last growth until then. */
  nowMs: number;
}): Finding[] {
  const { stalled, activity, fleet, config } = input;
  const findings: Finding[] = [];
  for (const log of stalled) {
    const host = fleet.get(log.hostId);
    if (host && (host.mtaKind === "none" || host.mtaKind === "")) continue;
    const mta = new Set(host?.mtaBinaryPaths ?? []);
    const own = activity.filter((a) => a.hostId === log.hostId);
    const listeners = own.filter((a) => a.direction === "listen");
    const inbound = own.filter((a) => a.direction === "inbound").reduce((n, a) => n + a.connections, 0);
    const outbound = own.filter((a) => a.direction === "outbound" && mta.has(a.exe)).reduce((n, a) => n + a.connections, 0);
    if (listeners.length === 0 || inbound + outbound < config.minConnections) continue;
    const lastSeenMs = Math.max(...own.map((a) => a.lastMs));
    const silentMinutes = Math.floor((input.nowMs - log.lastGrowthMs) / 60_000);
    findings.push({
      rule: "log-stalled",
      scope: "host",
      scopeHost: log.hostId,
      subject: log.hostId,
      check: "silent-log",
      hosts: [log.hostId],
      severityBoost: 0,
      firstSeenMs: log.lastGrowthMs,
      lastSeenMs,
      summary: `${log.paths.join(", ")} on ${log.hostId} has not grown for ${silentMinutes} min while its MTA handled ${inbound} inbound and ${outbound} outbound SMTP connections`,
      counts: { silent_minutes: silentMinutes, inbound_connections: inbound, outbound_connections: outbound, history_lines: log.historyLines },
      details: { log_paths: log.paths, last_growth: new Date(log.lastGrowthMs).toISOString(), listeners: listeners.map((l) => l.exe).filter(Boolean).sort(), mta: host?.mtaKind ?? "" },
      evidence: {
        rows: [
          { table: "log_read_stats", host_id: log.hostId, at_unix_ms: log.lastGrowthMs, values: { paths: log.paths, history_lines: log.historyLines } },
          ...own.map((a) => ({ table: "socket_snapshots", host_id: a.hostId, at_unix_ms: a.lastMs, values: { direction: a.direction, exe: a.exe, connections: a.connections } })),
        ],
        sample_lines: [],
        queue_ids: [],
        message_ids: [],
      },
    });
  }
  return findings;
}

/** log-stalled: the MTA log stopped growing while the MTA keeps handling SMTP connections. */
export const logStalledRule = defineRule({
  name: "log-stalled",
  configKey: "logStalled",
  configSchema: logStalledConfigSchema,
  severity: "medium",
  detectors: (config) => [logStalledDetector(config)],
  remediation(f, mtaKind) {
    const paths = Array.isArray(f.details.log_paths) ? (f.details.log_paths as string[]).join(", ") : "the MTA log";
    return [
      `Check that ${paths}${onHosts(f)} is still written: \`ls -l\` it, \`systemctl status rsyslog\` (or journald), \`df -h /var/log\`, and that log rotation reopened it (the syslog daemon reloaded after rotation) [guide step 2: inspectez les journaux du MTA].`,
      `Until the log is back, the log-based rules (compromised-account, open-relay, web-script, backscatter, auth-bruteforce) see nothing there: inspect the queue (${mtaKind === "exim" ? "`exim -bp`" : "`postqueue -p`"}) and the outbound SMTP connections (\`lsof -Pni tcp:25\`) by hand [guide step 2: le contenu de la file d'attente].`,
      "Mail flowing without a trace in the log can also be a compromised server hiding it: look for who stopped the syslog daemon or changed its configuration (shell history, auth log), and for processes sending around the MTA [guide step 2: le MTA n'en conserve aucune trace dans ses journaux].",
    ];
  },
  doc: [
    {
      check: "silent-log",
      data: "log_read_stats, socket_snapshots, hosts (Hello: MTA kind and executables)",
      firesWhen:
        "the MTA log grew within 24 h but not in the last 30 min, while the MTA listens on an SMTP port and handled ≥ 5 SMTP connections (inbound, or outbound by its own executables) in those 30 min; a stopped probe sends no snapshots and never fires",
      subject: "the host; details name the log paths and the last growth",
    },
  ],
});
