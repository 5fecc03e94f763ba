import { sqlLiteral } from "../../store/clickhouse/sql-literal.js";
import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import { uniqueStrings, type Finding } from "../../vocabulary/finding.js";
import { dateTimeAt, num, strings } from "../../store/clickhouse/sql.js";
import type { CompromisedAccountConfig } from "./compromised-account.js";

type Config = CompromisedAccountConfig;

/** One client IP's successful logins across the fleet. */
export interface FleetLogin {
  clientIp: string;
  users: string[];
  hosts: string[];
  successes: number;
  failures: number;
  firstMs: number;
  lastMs: number;
  lines: string[];
}

/**
 * compromised-account / fleet-client-ip (fleet scope): one outside client IP
 * logging in successfully as fleetMinUsers distinct users, or as
 * fleetMinUsersAcrossHosts users spread over two or more hosts: a credential
 * list being worked through. Runs on auth_windows of every host, so it sees
 * what no single host sees.
 */
export function accountFleetLoginDetector(config: Config): Detector {
  return {
    name: "compromised-account/fleet-client-ip",
    rule: "compromised-account",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.fleetLookbackMinutes);
      const rows = await ctx.store.query<Record<string, unknown>>(
        `SELECT client_ip,
  arraySlice(groupUniqArray(username), 1, 100) AS users, groupUniqArray(host_id) AS hosts,
  sum(successes) AS success_count, sum(failures) AS failure_count,
  min(window_start_unix_ms) AS first_ms, max(window_start_unix_ms + window_seconds * 1000) AS last_ms,
  arraySlice(groupUniqArrayArray(sample_lines), 1, 20) AS lines
FROM ${ctx.table("auth_windows")}
WHERE successes > 0 AND client_ip != ${sqlLiteral("")} AND username != ${sqlLiteral("")}
  AND window_start >= ${dateTimeAt(fromMs)} AND window_start <= ${dateTimeAt(ctx.nowMs)}
GROUP BY client_ip
HAVING uniqExact(username) >= ${Math.min(config.fleetMinUsers, config.fleetMinUsersAcrossHosts)}`,
      );
      const logins = rows.map((r) => ({
        clientIp: String(r.client_ip),
        users: strings(r.users).sort(),
        hosts: strings(r.hosts).sort(),
        successes: num(r.success_count),
        failures: num(r.failure_count),
        firstMs: num(r.first_ms),
        lastMs: num(r.last_ms),
        lines: strings(r.lines),
      }));
      return evaluateFleetLogins(logins, config, ctx.isFleetAddress);
    },
  };
}

/** Pure part: per-IP login summaries → fleet findings. */
export function evaluateFleetLogins(logins: readonly FleetLogin[], config: Config, isFleetAddress: (ip: string) => boolean): Finding[] {
  return logins
    .filter((l) => !isFleetAddress(l.clientIp))
    .filter((l) => l.users.length >= config.fleetMinUsers || (l.users.length >= config.fleetMinUsersAcrossHosts && l.hosts.length >= 2))
    .map((l) => ({
      rule: "compromised-account" as const,
      scope: "fleet" as const,
      scopeHost: "",
      subject: l.clientIp,
      check: "fleet-client-ip",
      hosts: l.hosts,
      severityBoost: l.users.length >= 2 * config.fleetMinUsers ? 1 : 0,
      firstSeenMs: l.firstMs,
      lastSeenMs: l.lastMs,
      summary: `client ${l.clientIp} logged in as ${l.users.length} users (${l.users.slice(0, 5).join(", ")}) on ${l.hosts.length} hosts (${l.hosts.slice(0, 5).join(", ")})`,
      counts: { users: l.users.length, hosts: l.hosts.length, successes: l.successes, failures: l.failures },
      details: { client_ip: l.clientIp, accounts: l.users.slice(0, 50), hosts: l.hosts },
      evidence: { rows: [], sample_lines: uniqueStrings(l.lines, 20), queue_ids: [], message_ids: [] },
    }));
}
