import { sqlLiteral } from "../../store/clickhouse/sql-literal.js";
import { lookbackStart, type DetectContext } from "../detect-context.js";
import type { Detector } from "../detector.js";
import { uniqueStrings, type Finding } from "../../vocabulary/finding.js";
import { dateTimeAt, num, strings } from "../../store/clickhouse/sql.js";
import { queryInChunks } from "../../store/clickhouse/query-in-chunks.js";
import type { CompromisedAccountConfig } from "./compromised-account.js";

type Config = CompromisedAccountConfig;

/** One client IP's logins across the fleet over the lookback. */
export interface FleetLogin {
  clientIp: string;
  /** Users it logged in as successfully. */
  users: string[];
  hosts: string[];
  successes: number;
  /** Failed logins from it (any username, named or not). */
  failures: number;
  /** Failed logins in windows at or before its first success (a window's failures count before its success). */
  failuresBeforeSuccess: number;
  firstMs: number;
  lastMs: number;
  lines: string[];
  /** Of its users, those with successful logins in the history before the lookback (from any address). */
  usersWithHistory: number;
  /** Of its users, those that logged in from this very address in that history. */
  usersSeenFromHere: number;
  /** Of its users, those whose sending in the lookback spread to ≥ minRecipientDomains or reached minMessages. */
  usersSendingChanged: string[];
}

/** Evidence that separates credential stuffing from a shared address (CGNAT, office, VPN). */
export type FleetSignal = "failures-before-success" | "new-address" | "sending-changed" | "many-users";

/**
 * compromised-account / fleet-client-ip (fleet scope): one outside client IP
 * logging in successfully as fleetMinUsers distinct users, or as
 * fleetMinUsersAcrossHosts users spread over two or more hosts — which
 * carrier-grade NAT, offices and VPNs do all day — *and* at least
 * fleetMinSignals pieces of evidence that separate a credential list being
 * worked through from a shared address: failed logins before the successes,
 * an address new to those accounts, their sending changing after the login,
 * or very many users (fleetManyUsers). Runs on auth_windows of every host,
 * so it sees what no single host sees.
 */
export function accountFleetLoginDetector(config: Config): Detector {
  return {
    name: "compromised-account/fleet-client-ip",
    rule: "compromised-account",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.fleetLookbackMinutes);
      const range = `window_start >= ${dateTimeAt(fromMs)} AND window_start <= ${dateTimeAt(ctx.nowMs)}`;
      const rows = await ctx.store.query<Record<string, unknown>>(
        `SELECT client_ip,
  arraySlice(groupUniqArrayIf(username, successes > 0 AND username != ${sqlLiteral("")}), 1, 100) AS users,
  groupUniqArrayIf(host_id, successes > 0) AS hosts,
  sum(successes) AS success_count, sum(failures) AS failure_count,
  minIf(window_start_unix_ms, successes > 0) AS first_success_ms,
  min(window_start_unix_ms) AS first_ms, max(window_start_unix_ms + window_seconds * 1000) AS last_ms,
  arraySlice(groupUniqArrayArray(sample_lines), 1, 20) AS lines,
  groupArrayIf((window_start_unix_ms, failures), failures > 0) AS failure_windows
FROM ${ctx.table("auth_windows")}
WHERE client_ip != ${sqlLiteral("")} AND ${range}
GROUP BY client_ip
HAVING uniqExactIf(username, successes > 0 AND username != ${sqlLiteral("")}) >= ${Math.min(config.fleetMinUsers, config.fleetMinUsersAcrossHosts)}`,
      );
      const candidates = rows
        .map((r) => {
          const firstSuccess = num(r.first_success_ms);
          const failureWindows = Array.isArray(r.failure_windows) ? (r.failure_windows as unknown[][]) : [];
          return {
            clientIp: String(r.client_ip),
            users: strings(r.users).sort(),
            hosts: strings(r.hosts).sort(),
            successes: num(r.success_count),
            failures: num(r.failure_count),
            failuresBeforeSuccess: failureWindows.filter((w) => num(w[0]) <= firstSuccess).reduce((s, w) => s + num(w[1]), 0),
            firstMs: num(r.first_ms),
            lastMs: num(r.last_ms),
            lines: strings(r.lines),
          };
        })
        .filter((l) => !ctx.isFleetAddress(l.clientIp) && isCandidate(l, config));
      if (candidates.length === 0) return [];
      const history = await loginHistory(ctx, candidates, fromMs);
      const sending = await changedSenders(ctx, candidates, fromMs, config);
      const logins: FleetLogin[] = candidates.map((c) => ({
        ...c,
        usersWithHistory: c.users.filter((u) => history.withHistory.has(u)).length,
        usersSeenFromHere: c.users.filter((u) => history.seenFrom.has(`${c.clientIp}\u0000${u}`)).length,
        usersSendingChanged: c.users.filter((u) => sending.has(u)),
      }));
      return evaluateFleetLogins(logins, config, ctx.isFleetAddress);
    },
  };
}

function isCandidate(l: Pick<FleetLogin, "users" | "hosts">, config: Config): boolean {
  return l.users.length >= config.fleetMinUsers || (l.users.length >= config.fleetMinUsersAcrossHosts && l.hosts.length >= 2);
}

/** Successful logins of the candidates' users in the baselineDays before the lookback: who has history, and from which address. */
async function loginHistory(ctx: DetectContext, candidates: readonly Pick<FleetLogin, "clientIp" | "users">[], fromMs: number): Promise<{ withHistory: Set<string>; seenFrom: Set<string> }> {
  const users = uniqueStrings(candidates.flatMap((c) => c.users));
  const rows = await queryInChunks<Record<string, unknown>>(
    ctx.store,
    users,
    (list) => `SELECT username, groupUniqArray(client_ip) AS ips
FROM ${ctx.table("auth_windows")}
WHERE successes > 0 AND username IN ${list}
  AND window_start >= ${dateTimeAt(fromMs - ctx.config.baselineDays * 86_400_000)} AND window_start < ${dateTimeAt(fromMs)}
GROUP BY username`,
  );
  const withHistory = new Set<string>();
  const seenFrom = new Set<string>();
  for (const r of rows) {
    const user = String(r.username);
    withHistory.add(user);
    for (const ip of strings(r.ips)) seenFrom.add(`${ip}\u0000${user}`);
  }
  return { withHistory, seenFrom };
}

/** Users among the candidates whose SASL sending in the lookback spread to many domains or reached the volume minimum. */
async function changedSenders(ctx: DetectContext, candidates: readonly Pick<FleetLogin, "users">[], fromMs: number, config: Config): Promise<Set<string>> {
  const users = uniqueStrings(candidates.flatMap((c) => c.users));
  const rows = await queryInChunks<Record<string, unknown>>(
    ctx.store,
    users,
    (list) => `SELECT identity
FROM ${ctx.table("mail_windows")}
WHERE identity_kind = 'sasl_user' AND identity IN ${list}
  AND window_start >= ${dateTimeAt(fromMs)} AND window_start <= ${dateTimeAt(ctx.nowMs)}
GROUP BY identity
HAVING sum(distinct_recipient_domains) >= ${Math.floor(config.minRecipientDomains)} OR sum(received) >= ${Math.floor(config.minMessages)}`,
  );
  return new Set(rows.map((r) => String(r.identity)));
}

/** The evidence a login summary carries (see {@link FleetSignal}). */
export function fleetSignals(l: FleetLogin, config: Config): FleetSignal[] {
  const signals: FleetSignal[] = [];
  if (l.failuresBeforeSuccess >= config.fleetMinFailures) signals.push("failures-before-success");
  // New only when the accounts have a history to compare with: a fresh install knows no address.
  if (l.usersWithHistory > 0 && l.usersSeenFromHere === 0) signals.push("new-address");
  if (l.usersSendingChanged.length > 0) signals.push("sending-changed");
  if (l.users.length >= config.fleetManyUsers) signals.push("many-users");
  return signals;
}

/** Pure part: per-IP login summaries → fleet findings. */
export function evaluateFleetLogins(logins: readonly FleetLogin[], config: Config, isFleetAddress: (ip: string) => boolean): Finding[] {
  const findings: Finding[] = [];
  for (const l of logins) {
    if (isFleetAddress(l.clientIp) || !isCandidate(l, config)) continue;
    const signals = fleetSignals(l, config);
    if (signals.length < config.fleetMinSignals) continue;
    findings.push({
      rule: "compromised-account",
      scope: "fleet",
      scopeHost: "",
      subject: l.clientIp,
      check: "fleet-client-ip",
      hosts: l.hosts,
      severityBoost: l.users.length >= config.fleetManyUsers && signals.length >= 3 ? 1 : 0,
      firstSeenMs: l.firstMs,
      lastSeenMs: l.lastMs,
      summary:
        `client ${l.clientIp} logged in as ${l.users.length} users (${l.users.slice(0, 5).join(", ")}) on ${l.hosts.length} hosts (${l.hosts.slice(0, 5).join(", ")}); ` +
        `evidence: ${signals.join(", ")} (${l.failuresBeforeSuccess} failures before the first success` +
        `, seen before from this address: ${l.usersSeenFromHere} of ${l.usersWithHistory} accounts with history` +
        (l.usersSendingChanged.length > 0 ? `, sending changed: ${l.usersSendingChanged.slice(0, 5).join(", ")}` : "") +
        ")",
      counts: {
        users: l.users.length,
        hosts: l.hosts.length,
        successes: l.successes,
        failures: l.failures,
        failures_before_success: l.failuresBeforeSuccess,
        users_with_history: l.usersWithHistory,
        users_seen_from_address: l.usersSeenFromHere,
        users_sending_changed: l.usersSendingChanged.length,
      },
      details: { client_ip: l.clientIp, accounts: l.users.slice(0, 50), hosts: l.hosts, signals, accounts_sending_changed: l.usersSendingChanged.slice(0, 50) },
      evidence: { rows: [], sample_lines: uniqueStrings(l.lines, 20), queue_ids: [], message_ids: [] },
    });
  }
  return findings;
}
