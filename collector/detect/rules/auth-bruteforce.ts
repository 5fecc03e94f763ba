import { sqlLiteral } from "../../store/clickhouse/sql-literal.js";
import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import { uniqueStrings, type Finding } from "../../vocabulary/finding.js";
import { dateTimeAt, num, strings } from "../../store/clickhouse/sql.js";
import type { z } from "zod";
import { count, minutes, multiplier, ruleConfigSchema } from "../rule-config.js";
import { defineRule } from "../rule.js";
import { onHosts } from "../remediation-steps.js";

/** detect.rules.authBruteforce: many failed logins from one client IP, on one host or across hosts. */
export const authBruteforceConfigSchema = ruleConfigSchema({
  /** Failures counted over this many minutes. */
  lookbackMinutes: minutes(15),
  /** Failures from one IP on one host that fire. */
  minFailures: count(20),
  /**
   * Distinct user names that failed from one IP on one host, none of which
   * then logged in from it, that fire below minFailures: a spray. Dovecot's
   * per-IP penalty (2, 4, 8, 15 s) holds any guessing to a few attempts a
   * minute, so a count of failures alone takes minutes; a person mistyping
   * tries one name, and succeeds.
   */
  minUsersTried: count(3),
  /** Failures from one IP summed over the fleet that fire a fleet incident ... */
  fleetMinFailures: count(50),
  /** ... when they hit at least this many hosts. */
  fleetMinHosts: count(2),
  /** Failures this many times the threshold raise the severity one level. */
  escalateMultiplier: multiplier(10),
});

type Config = z.output<typeof authBruteforceConfigSchema>;

/** Failed logins of one client IP, on one host (hostId set) or over the fleet (hostId ""). */
export interface FailureTotals {
  hostId: string;
  clientIp: string;
  failures: number;
  successes: number;
  /** Distinct user names that failed and never logged in from this IP in the lookback. */
  usersFailedOnly: number;
  users: string[];
  hosts: string[];
  services: string[];
  firstMs: number;
  lastMs: number;
  lines: string[];
}

/**
 * auth-bruteforce: at least minFailures failed logins from one outside client
 * IP on one host within the lookback (host incident), or failures as at least
 * minUsersTried user names none of which then logged in from that IP (a
 * spray, host incident), or fleetMinFailures
 * summed over at least fleetMinHosts hosts (fleet incident, even when each
 * host alone stays under its threshold). Names the IP, the hosts and the
 * users tried.
 */
export function authBruteforceDetector(config: Config): Detector {
  return {
    name: "auth-bruteforce/failures",
    rule: "auth-bruteforce",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.lookbackMinutes);
      // Per (host, IP, user) first, so a user name's failures can be weighed against its successes.
      const select = (groupByHost: boolean, having: string): string => `SELECT ${groupByHost ? "any(host_id)" : "''"} AS scope_host, client_ip,
  sum(user_failures) AS failure_count, sum(user_successes) AS success_count,
  countIf(username != ${sqlLiteral("")} AND user_failures > 0 AND user_successes = 0) AS users_failed_only,
  arraySlice(groupUniqArray(username), 1, 50) AS users, groupUniqArray(host_id) AS hosts,
  arraySlice(groupUniqArrayArray(user_services), 1, 10) AS services,
  min(user_first_ms) AS first_ms, max(user_last_ms) AS last_ms,
  arraySlice(groupUniqArrayArray(user_lines), 1, 20) AS lines
FROM (
  SELECT host_id, client_ip, username, sum(failures) AS user_failures, sum(successes) AS user_successes,
    groupUniqArrayArray(services) AS user_services, min(window_start_unix_ms) AS user_first_ms,
    max(window_start_unix_ms + window_seconds * 1000) AS user_last_ms, arraySlice(groupUniqArrayArray(sample_lines), 1, 20) AS user_lines
  FROM ${ctx.table("auth_windows")}
  WHERE client_ip != ${sqlLiteral("")} AND window_start >= ${dateTimeAt(fromMs)} AND window_start <= ${dateTimeAt(ctx.nowMs)}
  GROUP BY host_id, client_ip, username
)
GROUP BY ${groupByHost ? "host_id, " : ""}client_ip
HAVING ${having}`;
      const perHost = await ctx.store.query<Record<string, unknown>>(
        select(true, `failure_count >= ${Math.floor(config.minFailures)} OR users_failed_only >= ${Math.floor(config.minUsersTried)}`),
      );
      const fleet = await ctx.store.query<Record<string, unknown>>(
        select(false, `failure_count >= ${Math.floor(config.fleetMinFailures)} AND uniqExact(host_id) >= ${Math.floor(config.fleetMinHosts)}`),
      );
      return evaluateAuthBruteforce([...perHost, ...fleet].map(toTotals), config, ctx.isFleetAddress);
    },
  };
}

function toTotals(r: Record<string, unknown>): FailureTotals {
  return {
    hostId: String(r.scope_host),
    clientIp: String(r.client_ip),
    failures: num(r.failure_count),
    successes: num(r.success_count),
    usersFailedOnly: num(r.users_failed_only),
    users: strings(r.users).sort(),
    hosts: strings(r.hosts).sort(),
    services: strings(r.services).sort(),
    firstMs: num(r.first_ms),
    lastMs: num(r.last_ms),
    lines: strings(r.lines),
  };
}

/** Pure part: failure totals → findings (host ones have hostId, fleet ones hostId ""). */
export function evaluateAuthBruteforce(totals: readonly FailureTotals[], config: Config, isFleetAddress: (ip: string) => boolean): Finding[] {
  return totals
    .filter((t) => !isFleetAddress(t.clientIp))
    .flatMap((t) => {
      const fleet = t.hostId === "";
      const bar = fleet ? config.fleetMinFailures : config.minFailures;
      const spread = !fleet && t.failures < bar && t.usersFailedOnly >= config.minUsersTried;
      if (!spread && t.failures < bar) return [];
      const users = t.users.filter((u) => u !== "");
      return [
        {
          rule: "auth-bruteforce" as const,
          scope: fleet ? ("fleet" as const) : ("host" as const),
          scopeHost: t.hostId,
          subject: t.clientIp,
          check: fleet ? "fleet-failures" : spread ? "host-spread" : "host-failures",
          hosts: fleet ? t.hosts : [t.hostId],
          severityBoost: t.failures >= config.escalateMultiplier * bar ? 1 : 0,
          firstSeenMs: t.firstMs,
          lastSeenMs: t.lastMs,
          summary: `client ${t.clientIp} failed ${t.failures} logins in ${config.lookbackMinutes} min${fleet ? ` on ${t.hosts.length} hosts` : ""} trying ${users.length} users (${users.slice(0, 5).join(", ") || "names not logged"})${spread ? `, ${t.usersFailedOnly} of them never logging in` : ""}${t.successes > 0 ? `, ${t.successes} successful` : ""}`,
          counts: { failures: t.failures, successes: t.successes, users_tried: users.length, users_failed_only: t.usersFailedOnly, hosts: t.hosts.length },
          details: { client_ip: t.clientIp, users_tried: users, services: t.services, hosts: t.hosts },
          evidence: { rows: [], sample_lines: uniqueStrings(t.lines, 20), queue_ids: [], message_ids: [] },
        },
      ];
    });
}

/** auth-bruteforce: many failed logins from one client IP, on one host or across hosts. */
export const authBruteforceRule = defineRule({
  name: "auth-bruteforce",
  configKey: "authBruteforce",
  configSchema: authBruteforceConfigSchema,
  severity: "medium",
  detectors: (config) => [authBruteforceDetector(config)],
  remediation: (f) => [
    `Block ${f.subject} at the firewall or with fail2ban${onHosts(f)} [guide: comptes compromis — essais de milliers de combinaisons].`,
    `Check whether any login from ${f.subject} succeeded (a compromised-account incident is raised when it does) and change those passwords [guide step 3.1].`,
    "Enforce strong passwords and lock-out/delay after failures (Dovecot auth_failure_delay, Postfix anvil limits) [guide step 6].",
  ],
  doc: [
    {
      check: "host-failures / host-spread / fleet-failures",
      data: "auth_windows",
      firesWhen: "≥ 20 failures from one outside IP on one host in 15 min; or failures as ≥ 3 user names none of which then logged in from that IP (a spray, which Dovecot's penalty slows to a few attempts a minute); or ≥ 50 over ≥ 2 hosts (fleet). ≥ 10 × the bar: one level up",
      subject: "the client IP",
    },
  ],
});
