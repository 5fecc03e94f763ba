import { sqlLiteral } from "../../store/clickhouse/sql-literal.js";
import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import { uniqueStrings, type Finding } from "../../vocabulary/finding.js";
import { dateTimeAt } from "../../store/clickhouse/sql.js";
import { AUTH_ROW_COLUMNS, authEvidenceRow, toAuthRow, type AuthRow } from "./auth-rows.js";
import type { CompromisedAccountConfig } from "./compromised-account.js";

type Config = CompromisedAccountConfig;

/**
 * compromised-account / auth-burst-then-success: an outside client IP fails
 * to log in at least burstFailures times (any usernames), then logs in
 * successfully: the password was guessed. Names the account that succeeded.
 */
export function accountTakeoverDetector(config: Config): Detector {
  return {
    name: "compromised-account/auth-burst-then-success",
    rule: "compromised-account",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.authLookbackMinutes);
      const range = `window_start >= ${dateTimeAt(fromMs)} AND window_start <= ${dateTimeAt(ctx.nowMs)}`;
      const rows = await ctx.store.query<Record<string, unknown>>(
        `SELECT ${AUTH_ROW_COLUMNS}
FROM ${ctx.table("auth_windows")}
WHERE ${range} AND client_ip != ${sqlLiteral("")}
  AND (host_id, client_ip) IN (
    SELECT host_id, client_ip FROM ${ctx.table("auth_windows")}
    WHERE ${range} AND client_ip != ${sqlLiteral("")}
    GROUP BY host_id, client_ip
    HAVING sum(failures) >= ${Math.floor(config.burstFailures)} AND sum(successes) > 0)
ORDER BY window_start_unix_ms`,
      );
      return evaluateAccountTakeover(rows.map(toAuthRow), config, ctx.isFleetAddress);
    },
  };
}

/** Pure part: auth rows of IPs with both failures and successes → one finding per (host, account that succeeded after the burst). */
export function evaluateAccountTakeover(rows: readonly AuthRow[], config: Config, isFleetAddress: (ip: string) => boolean): Finding[] {
  const byClient = new Map<string, AuthRow[]>();
  for (const r of rows) {
    if (isFleetAddress(r.clientIp)) continue;
    const key = `${r.hostId}\u0000${r.clientIp}`;
    byClient.set(key, [...(byClient.get(key) ?? []), r]);
  }
  const findings: Finding[] = [];
  for (const clientRows of byClient.values()) {
    // Within one window the order of its logins is unknown: its failures are counted before its successes.
    const sorted = [...clientRows].sort((a, b) => a.atMs - b.atMs || Number(a.successes > 0) - Number(b.successes > 0));
    let failuresSoFar = 0;
    const reported = new Set<string>();
    for (const r of sorted) {
      failuresSoFar += r.failures;
      // A success in the same minute as the failure that completes the burst counts: windows have no order inside.
      if (r.successes === 0 || failuresSoFar < config.burstFailures || reported.has(r.username) || r.username === "") continue;
      reported.add(r.username);
      const failed = sorted.filter((x) => x.failures > 0 && x.atMs <= r.atMs);
      const triedUsers = uniqueStrings(failed.map((x) => x.username));
      const firstMs = failed[0]?.atMs ?? r.atMs;
      findings.push({
        rule: "compromised-account",
        scope: "host",
        scopeHost: r.hostId,
        subject: r.username,
        check: "auth-burst-then-success",
        hosts: [r.hostId],
        severityBoost: 0,
        firstSeenMs: firstMs,
        lastSeenMs: Math.max(...sorted.map((x) => x.atMs + x.windowSeconds * 1000)),
        summary: `client ${r.clientIp} failed ${failuresSoFar} logins (users tried: ${triedUsers.slice(0, 5).join(", ") || "unknown"}) then logged in as ${r.username}`,
        counts: { failures_before_success: failuresSoFar, successes: sorted.filter((x) => x.username === r.username).reduce((s, x) => s + x.successes, 0), users_tried: triedUsers.length },
        details: { account: r.username, client_ips: [r.clientIp], users_tried: triedUsers.slice(0, 20), services: uniqueStrings(sorted.flatMap((x) => x.services)) },
        evidence: {
          rows: [...failed.slice(-10), r].map(authEvidenceRow),
          sample_lines: uniqueStrings([...r.lines, ...failed.flatMap((x) => x.lines)], 20),
          queue_ids: [],
          message_ids: [],
        },
      });
    }
  }
  return findings;
}
