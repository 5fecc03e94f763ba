
/** A detection rule's name, as its module declares it (collector/detect/rules/registry.ts lists them). */
export type RuleName = string;

/** Whether an incident is about one host or about several hosts of the fleet. */
export type Scope = "host" | "fleet";

/** One stored row that contributed to a finding, as evidence. */
export interface EvidenceRow {
  /** Table the row comes from (mail_windows, auth_windows, socket_snapshots, queue_snapshots, relay_check). */
  table: string;
  /** Host that reported it. */
  host_id: string;
  /** Start of the window / time of the snapshot, ms since the epoch. */
  at_unix_ms: number;
  /** The columns that matter for this rule. */
  values: Record<string, unknown>;
}

/** What an analyst needs to verify a finding: rows, raw log lines, queue ids and Message-IDs. */
export interface Evidence {
  rows: EvidenceRow[];
  /** Raw MTA log lines (mail_windows / auth_windows samples). */
  sample_lines: string[];
  /** MTA queue ids: what to inspect and purge. */
  queue_ids: string[];
  /** Message-ID header values: what to match against complaints. */
  message_ids: string[];
}

/** Evidence kept per finding and per incident (the rest is in ClickHouse). */
export const EVIDENCE_LIMITS = { rows: 20, sample_lines: 20, queue_ids: 20, message_ids: 20 } as const;

/** A detector's verdict for one subject in one run. */
export interface Finding {
  rule: RuleName;
  scope: Scope;
  /** Host the finding is about when scope is "host"; "" for fleet findings. */
  scopeHost: string;
  /** What the incident names: account, client IP, exe, script path, relay listener, host. */
  subject: string;
  /** Which check of the rule fired ("volume", "auth-burst-then-success", "fleet-client-ip", ...). */
  check: string;
  /** Hosts involved, sorted. */
  hosts: string[];
  /** Levels above the rule's base severity (magnitude far beyond the threshold, suspicious exe location...). */
  severityBoost: number;
  /** First and last activity covered, from the data (window starts / snapshot times), ms. */
  firstSeenMs: number;
  lastSeenMs: number;
  /** One line for humans. */
  summary: string;
  /** Numbers behind the verdict (messages, baseline_p95, failures, ...). */
  counts: Record<string, number>;
  /** Structured subject: account, client_ips, pid, exe, cwd, argv, script, listener, ... */
  details: Record<string, unknown>;
  evidence: Evidence;
}

/** An empty Evidence. */
export function emptyEvidence(): Evidence {
  return { rows: [], sample_lines: [], queue_ids: [], message_ids: [] };
}

/** Merges evidence, newest first, without duplicates, within {@link EVIDENCE_LIMITS}. */
export function mergeEvidence(newer: Evidence, older: Evidence): Evidence {
  const rowKey = (r: EvidenceRow): string => JSON.stringify([r.table, r.host_id, r.at_unix_ms, r.values]);
  return {
    rows: uniqueBy([...newer.rows, ...older.rows], rowKey).slice(0, EVIDENCE_LIMITS.rows),
    sample_lines: uniqueStrings([...newer.sample_lines, ...older.sample_lines], EVIDENCE_LIMITS.sample_lines),
    queue_ids: uniqueStrings([...newer.queue_ids, ...older.queue_ids], EVIDENCE_LIMITS.queue_ids),
    message_ids: uniqueStrings([...newer.message_ids, ...older.message_ids], EVIDENCE_LIMITS.message_ids),
  };
}

/** Distinct non-empty strings in first-seen order, at most `max`. */
export function uniqueStrings(values: Iterable<string>, max = Infinity): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const v of values) {
    if (v.length === 0 || seen.has(v)) continue;
    seen.add(v);
    out.push(v);
    if (out.length >= max) break;
  }
  return out;
}

function uniqueBy<T>(values: readonly T[], key: (v: T) => string): T[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = key(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
