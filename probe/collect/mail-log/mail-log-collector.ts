import { mkdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { WindowAggregator, type AuthWindow, type IdentityWindow } from "../../../shared/mta/aggregate/window-aggregator.js";
import type { MailEvent, MtaFamily } from "../../../shared/mta/events/mail-event.js";
import { MailLogParser } from "../../../shared/mta/parse/mail-log-parser.js";
import { LogTailer } from "../logs/log-tailer.js";
import { parsePasswd } from "../sockets/read-passwd.js";

/** Options of a MailLogCollector. */
export interface MailLogCollectorOptions {
  /** Log files to follow (one parser each: Postfix correlation state is per file). */
  paths: readonly string[];
  /** Folder for the tailers' cursor files. */
  stateDir: string;
  /** Parser family, or "auto". */
  mta: "auto" | MtaFamily;
  /** Window length, ms. */
  windowMs: number;
  /** A window is emitted once it ended this long ago (late lines still land in it), ms. */
  closeDelayMs: number;
  /** Where a log without a saved cursor is read from. */
  startAt: "start" | "end";
  /** Most polls per file per collect call (each at most 1 MiB). */
  maxPollsPerCollect: number;
  /** Told about lost data and odd states. */
  onWarning: (message: string) => void;
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
  /** Closed identity windows. */
  identities: IdentityWindow[];
  /** Closed auth windows. */
  auth: AuthWindow[];
  /** Per-file counters since the previous collect. */
  stats: LogFileStats[];
  /**
   * Commits the log cursors of every line whose events are all in the
   * windows above. Call it after those windows are safely spooled: a crash
   * before the commit re-reads (and re-counts) at most those lines.
   */
  commit(): Promise<void>;
}

interface PendingPoll {
  commit: () => Promise<void>;
  /** Latest event time in the poll, ms; -Infinity when it had no events. */
  maxEventMs: number;
}

interface FollowedLog {
  path: string;
  tailer: LogTailer;
  parser: MailLogParser;
  pending: PendingPoll[];
  /** Latest event time of the poll being parsed. */
  currentMaxMs: number;
  counted: { lines: number; recognised: number; rotations: number };
}

/**
 * Tails the MTA logs, parses every line into events and folds them into
 * per-minute windows per sender identity. A line's cursor is committed only
 * once every window its events fell into has been emitted and spooled, so a
 * probe restart neither skips nor re-counts lines.
 */
export class MailLogCollector {
  private readonly aggregator: WindowAggregator;
  private readonly logs: FollowedLog[];

  constructor(private readonly opts: MailLogCollectorOptions) {
    const users = readUsers();
    this.aggregator = new WindowAggregator({ windowMs: opts.windowMs, resolveUid: (uid) => users.get(uid) });
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    this.logs = opts.paths.map((path) => {
      const log: FollowedLog = {
        path,
        tailer: new LogTailer({
          path,
          statePath: join(opts.stateDir, `${createHash("sha256").update(path).digest("hex").slice(0, 16)}.cursor.json`),
          startAt: opts.startAt,
          onWarning: opts.onWarning,
        }),
        parser: undefined as unknown as MailLogParser,
        pending: [],
        currentMaxMs: -Infinity,
        counted: { lines: 0, recognised: 0, rotations: 0 },
      };
      log.parser = new MailLogParser((event: MailEvent) => {
        this.aggregator.add(event);
        if (event.ts_unix_ms > log.currentMaxMs) log.currentMaxMs = event.ts_unix_ms;
      }, { mta: opts.mta });
      return log;
    });
  }

  /** Reads what the logs gained, and returns the windows closed by `nowMs`. */
  async collect(nowMs: number): Promise<MailLogHarvest> {
    const stats: LogFileStats[] = [];
    for (const log of this.logs) {
      for (let i = 0; i < this.opts.maxPollsPerCollect; i++) {
        const batch = await log.tailer.poll();
        log.currentMaxMs = -Infinity;
        for (const line of batch.lines) log.parser.parseLine(line);
        // Events stamped in the future (clock skew) must not hold the cursor back forever.
        log.pending.push({ commit: batch.commit, maxEventMs: Math.min(log.currentMaxMs, nowMs) });
        if (!batch.more) break;
      }
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
    const watermark = Math.floor((nowMs - this.opts.closeDelayMs) / this.opts.windowMs) * this.opts.windowMs;
    const closed = this.aggregator.drainClosed(watermark);
    const commits = this.logs.map((log) => {
      // Polls are in file order; commit the longest prefix whose events are all emitted.
      let n = 0;
      while (n < log.pending.length && log.pending[n]!.maxEventMs < watermark) n++;
      return log.pending.splice(0, n).at(-1)?.commit;
    });
    return {
      identities: closed.identities,
      auth: closed.auth,
      stats,
      commit: async () => {
        for (const commit of commits) await commit?.();
      },
    };
  }

  /** At shutdown: every window, open ones included, and commits for everything read. */
  async drainAll(): Promise<MailLogHarvest> {
    const all = this.aggregator.drainAll();
    const commits = this.logs.map((log) => log.pending.splice(0).at(-1)?.commit);
    return {
      identities: all.identities,
      auth: all.auth,
      stats: [],
      commit: async () => {
        for (const commit of commits) await commit?.();
      },
    };
  }

  /** Closes the log files. */
  async close(): Promise<void> {
    for (const log of this.logs) await log.tailer.close();
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
