import type { z } from "zod";
import { dateTimeAt, num, strings } from "../../store/clickhouse/sql.js";
import type { Finding } from "../../vocabulary/finding.js";
import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import { minutes, ruleConfigSchema } from "../rule-config.js";
import { defineRule } from "../rule.js";

/** detect.rules.blacklisted: a fleet outbound address listed on a configured DNSBL zone (the `dnsbl` checks' answers). */
export const blacklistedConfigSchema = ruleConfigSchema(
  {
    /** Only DNSBL answers of the last this many minutes count (more than dnsbl.schedule.intervalMinutes, or a listing is forgotten between two checks). */
    lookbackMinutes: minutes(1440),
  },
  // A listing is re-confirmed only when the next check runs (6 h by default): quiet for less and the incident would close between checks.
  { quietMinutes: 1440 },
);

type Config = z.output<typeof blacklistedConfigSchema>;

/** The newest answer of one zone about one address (from dnsbl_checks). */
export interface LatestDnsblAnswer {
  address: string;
  zone: string;
  hostIds: string[];
  outcome: string;
  codes: string[];
  meanings: string[];
  txt: string;
  delistUrl: string;
  checkedAtMs: number;
  /** First check of the lookback that found it listed. */
  firstListedMs: number;
}

/**
 * blacklisted: the newest DNSBL answer about a fleet outbound address on a
 * zone is a listing (a 127.0.0.x code; error codes such as Spamhaus's
 * 127.255.255.x and timeouts are stored as errors, never as listings). The
 * collector's `dnsbl` check (schedule or `spamtrace dnsbl`) writes the
 * answers; this rule only reads them, so it stays SQL over ClickHouse like the
 * others. A later "not listed" answer ends the finding.
 */
export function blacklistedDetector(config: Config): Detector {
  return {
    name: "blacklisted/dnsbl",
    rule: "blacklisted",
    async detect(ctx) {
      const rows = await ctx.store.query<Record<string, unknown>>(
        `SELECT address, zone,
  argMax(host_ids, checked_at_unix_ms) AS last_host_ids,
  argMax(outcome, checked_at_unix_ms) AS last_outcome,
  argMax(return_codes, checked_at_unix_ms) AS last_codes,
  argMax(meanings, checked_at_unix_ms) AS last_meanings,
  argMax(txt, checked_at_unix_ms) AS last_txt,
  argMax(delist_url, checked_at_unix_ms) AS last_delist_url,
  max(checked_at_unix_ms) AS last_checked_ms,
  minIf(checked_at_unix_ms, outcome = 'listed') AS first_listed_ms
FROM ${ctx.table("dnsbl_checks")}
WHERE checked_at >= ${dateTimeAt(lookbackStart(ctx, config.lookbackMinutes))} AND checked_at <= ${dateTimeAt(ctx.nowMs)} AND outcome != 'error'
GROUP BY address, zone`,
      );
      const answers: LatestDnsblAnswer[] = rows.map((r) => ({
        address: String(r.address),
        zone: String(r.zone),
        hostIds: strings(r.last_host_ids),
        outcome: String(r.last_outcome),
        codes: strings(r.last_codes),
        meanings: strings(r.last_meanings),
        txt: String(r.last_txt ?? ""),
        delistUrl: String(r.last_delist_url ?? ""),
        checkedAtMs: num(r.last_checked_ms),
        firstListedMs: num(r.first_listed_ms),
      }));
      return evaluateBlacklisted(answers);
    },
  };
}

/** Pure part: the newest answers → one finding per listed (address, zone). Errors were left out by the query: an error says nothing about a listing. */
export function evaluateBlacklisted(answers: readonly LatestDnsblAnswer[]): Finding[] {
  return answers
    .filter((a) => a.outcome === "listed")
    .map((a) => {
      const hosts = [...a.hostIds].sort();
      const meaning = a.meanings.join("; ");
      return {
        rule: "blacklisted",
        scope: hosts.length === 1 ? "host" : "fleet",
        scopeHost: hosts.length === 1 ? hosts[0]! : "",
        subject: `${a.address} on ${a.zone}`,
        check: "dnsbl",
        hosts,
        // A Spamhaus SBL / XBL listing (not PBL, which is about the range's policy) blocks most receivers.
        severityBoost: a.codes.some((c) => /^127\.0\.0\.[2-9]$/.test(c)) && a.zone.includes("spamhaus") ? 1 : 0,
        firstSeenMs: a.firstListedMs > 0 ? Math.min(a.firstListedMs, a.checkedAtMs) : a.checkedAtMs,
        lastSeenMs: a.checkedAtMs,
        summary: `${a.address}${hosts.length ? ` (${hosts.join(", ")})` : ""} is listed on ${a.zone}: ${a.codes.join(", ")} ${meaning}${a.delistUrl ? `; delisting: ${a.delistUrl}` : ""}`,
        counts: { return_codes: a.codes.length },
        details: { address: a.address, zone: a.zone, return_codes: a.codes, meanings: a.meanings, delist_url: a.delistUrl, txt: a.txt },
        evidence: {
          rows: [{ table: "dnsbl_checks", host_id: hosts[0] ?? "", at_unix_ms: a.checkedAtMs, values: { address: a.address, zone: a.zone, return_codes: a.codes, txt: a.txt } }],
          sample_lines: [],
          queue_ids: [],
          message_ids: [],
        },
      } satisfies Finding;
    });
}

/** blacklisted: a fleet outbound address listed on a configured DNSBL zone. */
export const blacklistedRule = defineRule({
  name: "blacklisted",
  configKey: "blacklisted",
  configSchema: blacklistedConfigSchema,
  severity: "high",
  detectors: (config) => [blacklistedDetector(config)],
  remediation(f) {
    const address = typeof f.details.address === "string" ? f.details.address : f.subject;
    const zone = typeof f.details.zone === "string" ? f.details.zone : "the list";
    const delist = typeof f.details.delist_url === "string" && f.details.delist_url !== "" ? f.details.delist_url : `the ${zone} operator's removal page`;
    const codes = Array.isArray(f.details.return_codes) ? (f.details.return_codes as string[]) : [];
    const where = f.hosts.length ? ` (${f.hosts.join(", ")})` : "";
    const steps = [
      `Find and stop what sends spam from ${address}${where} first — the other open incidents on these hosts (\`spamtrace incidents\`), the outbound SMTP connections (\`lsof -Pni tcp:25\`), the queue — or the address is listed again [guide steps 1–4].`,
      `Then request delisting of ${address} from ${zone} at ${delist}, and check it again with \`spamtrace dnsbl --address ${address}\` [guide step 5: radiez les adresses IP des listes noires].`,
    ];
    if (codes.some((c) => c === "127.0.0.10" || c === "127.0.0.11"))
      steps.push(`${codes.join(", ")} is the Spamhaus PBL: a policy listing of end-user ranges, not a spam report. A server that must send mail directly needs its range owner (ISP) to remove it, or must relay through a smarthost.`);
    return steps;
  },
  doc: [
    {
      check: "dnsbl",
      data: "dnsbl_checks (written by the `dnsbl` check: schedule or `spamtrace dnsbl`)",
      firesWhen:
        "the newest answer of the last 24 h from a configured DNSBL zone about a fleet outbound address (hosts' addresses, source addresses of outbound port-25 sockets) is a listing code in 127.0.0.0/8; error answers (127.255.255.x, 127.0.0.1, outside 127/8) and timeouts never fire",
      subject: "\"<address> on <zone>\"; details name the return codes, their meaning and the delisting page",
    },
  ],
});
