import { mkdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { WindowAggregator, type AuthWindow, type IdentityWindow } from "../../../shared/mta/aggregate/window-aggregator.js";
import type { MailEvent } from "../../../shared/mta/events/mail-event.js";
import { MessageLedger, type DeliveryRow, type MessageRow } from "../../../shared/mta/aggregate/message-ledger.js";
import type { MtaSelection } from "../../../shared/mta/mta-kinds.js";
import type { RelayJudge } from "../../../shared/mta/relay/relay-policy.js";
import { MailLogParser } from "../../../shared/mta/parse/mail-log-parser.js";
import { LogTailer, type LogBatch, type SavedTailerState } from "../logs/log-tailer.js";
import { parsePasswd } from "../sockets/read-passwd.js";
import { ScriptSources, type ScriptSourcesOptions } from "../scripts/script-sources.js";
import type { ScriptSubmission } from "../scripts/script-submission.js";

/** Options of a MailLogCollector. */
export interface MailLogCollectorOptions {
  /** Log files to follow (one parser each: Postfix correlation state is per file). */
  paths: readonly string[];
  /** Folder for the tailers' cursor files. */
  stateDir: string;
  /** Parser family, or "auto". */
  mta: MtaSelection;
  /** Window length, ms. */
  windowMs: number;
  /** Where a log without a saved cursor is read from. */
  startAt: "start" | "end";
  /** Most polls per file per collect call (each at most 1 MiB). */
  maxPollsPerCollect: number;
  /** Told about lost data and odd states. */
  onWarning: (message: string) => void;
  /** The MTA's relay policy in force, for the windows' relayed counts. */
  relayJudge?: () => RelayJudge | undefined;
  /** Script evidence to name local submissions by (Postfix maildrop, PHP mail.log); none when absent. */
  scripts?: Omit<ScriptSourcesOptions, "onWarning">;
}

/** Reading counters of one log file since the previous collect. */
export interface LogFileStats {
  path: string;
  lines: number;
  recognised: number;
  unrecognised: number;
  rotations: number;
}

/** What one collect call produced. */
export interface MailLogHarvest {
  /** Identity windows (whole, or the part seen since the previous collect). */
  identities: IdentityWindow[];
  /** Auth windows (whole, or the part seen since the previous collect). */
  auth: AuthWindow[];
  /** Per-file counters since the previous collect (PHP mail.log files included). */
  stats: LogFileStats[];
  /** Script submissions seen since the previous collect (maildrop ancestries, PHP mail() calls). */
  scripts: ScriptSubmission[];
  /** Messages accepted in the lines of this collect, one row each. */
  messages: MessageRow[];
  /** Delivery outcomes in the lines of this collect. */
  deliveries: DeliveryRow[];
  /**
   * Commits the log cursors of every line counted in the windows above. Call
   * it once those windows are spooled: a crash in between re-reads (and
   * re-counts) only the lines of this one collect.
   */
  commit(): Promise<void>;
  /** The cursor states commit() writes, to record beforehand in a crash-safe intent. */
  cursors: SavedTailerState[];
}

interface FollowedLog {
  path: string;
  tailer: LogTailer;
  parser: MailLogParser;
  counted: { lines: number; recognised: number; rotations: number };
}

/**
 * Tails the MTA logs, parses every line into events and folds them into
 * per-minute windows per sender identity. Every collect hands over all it
 * counted, open windows included, with the cursors of exactly those lines:
 * holding back open windows while committing some of their lines is what
 * would re-count lines after a crash. A window can therefore arrive in
 * several parts; storage sums them.
 */
export class MailLogCollector {
  private readonly aggregator: WindowAggregator;
  private readonly ledger: MessageLedger;
  private readonly logs: FollowedLog[];
  private readonly scripts: ScriptSources | undefined;

  constructor(private readonly opts: MailLogCollectorOptions) {
    const users = readUsers();
    this.aggregator = new WindowAggregator({ windowMs: opts.windowMs, resolveUid: (uid) => users.get(uid), relayJudge: opts.relayJudge });
    this.ledger = new MessageLedger((uid) => users.get(uid));
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    const tailerFor = (path: string): LogTailer =>
      new LogTailer({
        path,
        statePath: join(opts.stateDir, `${createHash("sha256").update(path).digest("hex").slice(0, 16)}.cursor.json`),
        startAt: opts.startAt,
        onWarning: opts.onWarning,
      });
    const scripts = opts.scripts === undefined ? undefined : new ScriptSources({ ...opts.scripts, onWarning: opts.onWarning }, tailerFor);
    this.scripts = scripts;
    const sink = (event: MailEvent): void => {
      const attributed = scripts === undefined ? event : scripts.attributor.attribute(event);
      this.aggregator.add(attributed);
      this.ledger.add(attributed);
    };
    this.logs = opts.paths.map((path) => ({
      path,
      tailer: tailerFor(path),
      parser: new MailLogParser(sink, { mta: opts.mta }),
      counted: { lines: 0, recognised: 0, rotations: 0 },
    }));
  }

  /** Where script submissions are looked for (null/[] when not). */
  get scriptSources(): { maildropDir: string | null; phpMailLogs: string[] } {
    return this.scripts?.describe ?? { maildropDir: null, phpMailLogs: [] };
  }

  /** How local submissions were joined to their scripts so far. */
  get attribution(): ScriptSources["attributor"]["stats"] | undefined {
    return this.scripts?.attributor.stats;
  }

  /** Places (and saves) every log's starting cursor: call at start-up, before the first collect. */
  async open(): Promise<void> {
    await this.scripts?.open(this.opts.onWarning);
    for (const log of this.logs) {
      try {
        await log.tailer.open();
      } catch (error) {
        // An unreadable log (EACCES before the admin grants the group) must not stop the probe:
        // sockets still flow, and every collect() tries the log again and says why it failed.
        this.opts.onWarning(`cannot open ${log.path} yet: ${(error as Error).message}`);
      }
    }
  }

  /** Reads what the logs gained and returns it as windows. */
  async collect(): Promise<MailLogHarvest> {
    const stats: LogFileStats[] = [];
    const lastBatches: LogBatch[] = [];
    for (const log of this.logs) {
      let last: LogBatch | undefined;
      for (let i = 0; i < this.opts.maxPollsPerCollect; i++) {
        const batch = await log.tailer.poll();
        // PHP's mail.log lines (written before sendmail ran) of every pickup just read, and the maildrop events queued meanwhile.
        await this.scripts?.poll(this.opts.maxPollsPerCollect);
        for (const line of batch.lines) log.parser.parseLine(line);
        last = batch;
        if (!batch.more) break;
      }
      if (last) lastBatches.push(last);
      const parsed = log.parser.stats;
      const rotations = log.tailer.stats.rotations + log.tailer.stats.truncations;
      stats.push({
        path: log.path,
        lines: parsed.lines - log.counted.lines,
        recognised: parsed.recognised - log.counted.recognised,
        unrecognised: parsed.lines - log.counted.lines - (parsed.recognised - log.counted.recognised),
        rotations: rotations - log.counted.rotations,
      });
      log.counted = { lines: parsed.lines, recognised: parsed.recognised, rotations };
    }
    for (const php of this.scripts?.takeReads() ?? []) {
      if (php.last) lastBatches.push(php.last);
      stats.push({ path: php.path, lines: php.lines, recognised: php.recognised, unrecognised: php.lines - php.recognised, rotations: 0 });
    }
    const windows = this.aggregator.drainAll();
    const ledger = this.ledger.drain();
    return {
      identities: windows.identities,
      auth: windows.auth,
      stats,
      scripts: this.scripts?.take() ?? [],
      messages: ledger.messages,
      deliveries: ledger.deliveries,
      commit: async () => {
        for (const batch of lastBatches) await batch.commit();
      },
      cursors: lastBatches.flatMap((batch) => (batch.saved === null ? [] : [batch.saved])),
    };
  }

  /** Closes the log files. */
  async close(): Promise<void> {
    for (const log of this.logs) await log.tailer.close();
    await this.scripts?.close();
  }
}

// Postfix's pickup logs a uid; windows name the user, as an abuse desk would.
function readUsers(): Map<number, string> {
  try {
    return parsePasswd(readFileSync("/etc/passwd", "utf8"));
  } catch {
    return new Map();
  }
}
