import { stat } from "node:fs/promises";
import type { IdentityKind } from "../../shared/mta/aggregate/identity-kinds.js";
import { WindowAggregator, type IdentityCounts } from "../../shared/mta/aggregate/window-aggregator.js";
import type { MailEvent } from "../../shared/mta/events/mail-event.js";
import { MTA_FAMILIES, type MailLogSource, type MtaSelection } from "../../shared/mta/mta-kinds.js";
import { MailLogParser } from "../../shared/mta/parse/mail-log-parser.js";
import { ownString } from "../../shared/mta/text/mail-text.js";
import { readLogLineRanges } from "./read-log-lines.js";

/** Lines read before `--mta auto` settles which MTA wrote the log. */
export const DETECT_MTA_LINES = 1000;
/** Unrecognised lines quoted in the report. */
export const MAX_UNRECOGNISED_EXAMPLES = 10;
/** Events queued before they are counted and aggregated. */
const EVENT_BATCH = 512;
/** Evidence queue ids quoted per identity in the report. */
export const MAX_REPORT_SAMPLES = 3;

/** Options of parseLogFiles. */
export interface ParseLogOptions {
  /** Which parsers run; "auto" runs all and reports the MTA with the most recognised lines among the first ones. */
  mta: MtaSelection;
  /** Log files, plain or gzip (detected by magic bytes), read in order through one parser (rotations in order keep queue ids joined). */
  files: string[];
}

/** Totals of one sender identity over the whole input. */
export interface ParseLogIdentity extends IdentityCounts {
  /** Identity kind. */
  kind: IdentityKind;
  /** Identity value (see IdentityWindow.key). */
  key: string;
  /** Up to MAX_REPORT_SAMPLES queue ids, as evidence. */
  sample_queue_ids: string[];
}

/** Totals of one (client IP, username) pair over the whole input. */
export interface ParseLogAuth {
  /** Client IP, "" when unknown. */
  client_ip: string;
  /** Login name, "" when unknown. */
  username: string;
  /** Failed attempts. */
  failures: number;
  /** Successful logins. */
  successes: number;
}

/** What `spamtrace parse-log` prints. */
export interface ParseLogReport {
  /** The --mta value, or for auto the detected MTA family ("unknown" when no MTA line was recognised). */
  mta: string;
  /** Lines read (all files). */
  lines: number;
  /** Lines a parser understood, see MailLogParser.parseLine. */
  recognised: number;
  /** lines - recognised. */
  unrecognised: number;
  /** The first MAX_UNRECOGNISED_EXAMPLES non-empty unrecognised lines. */
  unrecognised_examples: string[];
  /** Per sender identity totals, by received descending, then key, then kind. */
  identities: ParseLogIdentity[];
  /** Recognised lines per software. */
  recognised_by_source: Record<MailLogSource, number>;
  /** Event totals over the whole input, attributed or not. */
  events: { received: number; delivered: number; deferred: number; bounced: number; rejected: number; auth_failures: number; auth_successes: number };
  /** Logins per (client IP, username), by failures descending. */
  auth: ParseLogAuth[];
}

/** Picks the MTA family with the most recognised lines; ties go to MTA_FAMILIES order. */
function detectedFamily(bySource: Record<MailLogSource, number>): string {
  let best = "unknown";
  let bestCount = 0;
  for (const family of MTA_FAMILIES) {
    if (bySource[family] > bestCount) {
      best = family;
      bestCount = bySource[family];
    }
  }
  if (bestCount === 0 && bySource.opensmtpd > 0) return "opensmtpd";
  return best;
}

/**
 * Parses whole log files and totals them per sender identity (the offline
 * twin of the probe's per-minute windows). Year-less timestamps are resolved
 * against each file's mtime, since no line of a file is newer than its last
 * write. Rejects with an error naming the file when one cannot be read.
 */
export async function parseLogFiles(opts: ParseLogOptions): Promise<ParseLogReport> {
  const aggregator = new WindowAggregator({ windowMs: Infinity, maxSamples: MAX_REPORT_SAMPLES });
  const events = { received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0, auth_failures: 0, auth_successes: 0 };
  // The parser's sink only queues events; they are counted and aggregated in
  // batches. A sink that aggregated each event at once would be inlined by
  // V8 at every emit site of every parser: more machine code to compile while
  // the log waits (measured: a quarter of the CPU time of one run on one core).
  const pending: MailEvent[] = [];
  const flush = (): void => {
    for (const e of pending) {
      switch (e.type) {
        case "auth_failure":
          events.auth_failures += e.attempts;
          break;
        case "auth_success":
          events.auth_successes++;
          break;
        default:
          events[e.type]++;
      }
      aggregator.add(e);
    }
    pending.length = 0;
  };
  const parser = new MailLogParser((e) => void pending.push(e), { mta: opts.mta });
  const examples: string[] = [];
  let detected: string | null = opts.mta === "auto" ? null : opts.mta;
  let linesSeen = 0;
  const afterLine = (): void => {
    if (pending.length >= EVENT_BATCH) flush();
    if (detected === null && ++linesSeen === DETECT_MTA_LINES) detected = detectedFamily(parser.stats.by_source);
  };
  for (const file of opts.files) {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(file)).mtimeMs;
    } catch (error) {
      throw new Error(`cannot read log file ${file}: ${describe(error)}`);
    }
    parser.setReferenceTime(() => mtimeMs);
    try {
      await readLogLineRanges(file, {
        ascii: (text, bytes, start, end) => {
          // ownString: the example must not keep its chunk alive.
          if (!parser.parseAsciiLine(text, bytes, start, end) && examples.length < MAX_UNRECOGNISED_EXAMPLES && end > start) examples.push(ownString(text.slice(start, end)));
          afterLine();
        },
        line: (line) => {
          if (!parser.parseLine(line) && examples.length < MAX_UNRECOGNISED_EXAMPLES && line.length > 0) examples.push(line);
          afterLine();
        },
      });
    } catch (error) {
      throw new Error(`cannot read log file ${file}: ${describe(error)}`);
    }
  }
  flush();
  const stats = parser.stats;
  if (detected === null) detected = detectedFamily(stats.by_source);
  const batch = aggregator.drainAll();
  const identities: ParseLogIdentity[] = batch.identities.map((w) => ({
    kind: w.kind,
    key: w.key,
    received: w.received,
    delivered: w.delivered,
    deferred: w.deferred,
    bounced: w.bounced,
    rejected: w.rejected,
    relay_denied: w.relay_denied,
    auth_failures: w.auth_failures,
    auth_successes: w.auth_successes,
    null_sender: w.null_sender,
    distinct_recipients: w.distinct_recipients,
    distinct_recipient_domains: w.distinct_recipient_domains,
    distinct_client_ips: w.distinct_client_ips,
    distinct_failed_client_ips: w.distinct_failed_client_ips,
    sample_queue_ids: w.sample_queue_ids,
  }));
  identities.sort((a, b) => b.received - a.received || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  const auth = batch.auth.map((a) => ({ client_ip: a.client_ip, username: a.username, failures: a.failures, successes: a.successes }));
  auth.sort((a, b) => b.failures - a.failures || b.successes - a.successes || (a.client_ip < b.client_ip ? -1 : a.client_ip > b.client_ip ? 1 : a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  return {
    mta: detected,
    lines: stats.lines,
    recognised: stats.recognised,
    unrecognised: stats.unrecognised,
    unrecognised_examples: examples,
    identities,
    recognised_by_source: stats.by_source,
    events,
    auth,
  };
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "no such file";
  if (e?.code === "EACCES") return "permission denied";
  if (e?.code === "EISDIR") return "is a directory";
  return e?.message ?? String(error);
}
