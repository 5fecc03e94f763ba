import { syslogTimestampToUnixMs } from "./resolve-syslog-year.js";

/** Entries kept per cache before it is cleared; small enough that a minute seen a year later is never served stale. */
const MAX_CACHED_MINUTES = 2048;

/**
 * Turns log wall-clock times into unix milliseconds. Local times (BSD syslog,
 * Exim mainlog without a zone) are read in this process's time zone, as the
 * MTA on this host wrote them. Building a Date per line is the slowest step of
 * parsing, so results are cached per minute: log lines come in time order and
 * hit the cache almost always.
 */
export class LogClock {
  private readonly bsdMinutes = new Map<number, number>();
  private readonly localMinutes = new Map<number, number>();
  private reference: () => number;
  /** The minute of the previous line: consecutive lines share it, which skips the map. */
  private lastBsdKey = -1;
  private lastBsdBase = 0;
  /** The same for local times with a year. */
  private lastLocalKey = -1;
  private lastLocalBase = 0;

  /** `referenceUnixMs` is "now" for year-less timestamps: Date.now when tailing, the file's mtime for old files. */
  constructor(referenceUnixMs: () => number = Date.now) {
    this.reference = referenceUnixMs;
  }

  /** Changes "now" for year-less timestamps (e.g. per file) and forgets resolved years. */
  setReference(referenceUnixMs: () => number): void {
    this.reference = referenceUnixMs;
    this.bsdMinutes.clear();
    this.lastBsdKey = -1;
  }

  /** Unix ms of a year-less syslog time; the year comes from resolveSyslogYear against the reference. */
  bsdToUnixMs(month0: number, day: number, hour: number, minute: number, second: number, millis: number): number {
    const key = ((month0 * 32 + day) * 24 + hour) * 60 + minute;
    if (key === this.lastBsdKey) return this.lastBsdBase + second * 1000 + millis;
    let base = this.bsdMinutes.get(key);
    if (base === undefined) {
      base = syslogTimestampToUnixMs(month0, day, hour, minute, 0, this.reference());
      if (this.bsdMinutes.size >= MAX_CACHED_MINUTES) this.bsdMinutes.clear();
      this.bsdMinutes.set(key, base);
    }
    this.lastBsdKey = key;
    this.lastBsdBase = base;
    return base + second * 1000 + millis;
  }

  /** Unix ms of a local wall-clock time with a year (Exim mainlog without `log_timezone`). */
  localToUnixMs(year: number, month0: number, day: number, hour: number, minute: number, second: number, millis: number): number {
    const key = (((year * 12 + month0) * 32 + day) * 24 + hour) * 60 + minute;
    if (key === this.lastLocalKey) return this.lastLocalBase + second * 1000 + millis;
    let base = this.localMinutes.get(key);
    if (base === undefined) {
      base = new Date(year, month0, day, hour, minute, 0).getTime();
      if (this.localMinutes.size >= MAX_CACHED_MINUTES) this.localMinutes.clear();
      this.localMinutes.set(key, base);
    }
    this.lastLocalKey = key;
    this.lastLocalBase = base;
    return base + second * 1000 + millis;
  }
}
