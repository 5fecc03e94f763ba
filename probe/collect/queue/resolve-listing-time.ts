/** Month abbreviations as ctime/asctime print them. */
export const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

/** How to read a wall-clock time printed without a zone. */
export interface ListingTimeOptions {
  /** The moment the listing was taken, ms since the Unix epoch. */
  nowUnixMs: number;
  /**
   * Offset of the listing's clock from UTC in minutes (e.g. 60 for CET);
   * default: this process's local time zone, which is the MTA's when the
   * probe runs on the same host. Tests pin it.
   */
  utcOffsetMinutes?: number;
}

/** A wall-clock time without year, as Postfix's and Sendmail's queue listings print arrival times. */
export interface YearlessTime {
  /** "Jan".."Dec". */
  month: string;
  /** Day of month. */
  day: number;
  /** Hour, 0–23. */
  hour: number;
  /** Minute, 0–59. */
  minute: number;
  /** Second, 0–59 (0 when the listing shows none). */
  second: number;
}

// A message "from the future" up to this far is clock skew or the zone, not last year's.
const FUTURE_TOLERANCE_MS = 24 * 3600 * 1000;

function wallClockToUnixMs(year: number, month: number, t: YearlessTime, utcOffsetMinutes: number | undefined): number | null {
  const ms =
    utcOffsetMinutes === undefined
      ? new Date(year, month, t.day, t.hour, t.minute, t.second).getTime()
      : Date.UTC(year, month, t.day, t.hour, t.minute, t.second) - utcOffsetMinutes * 60_000;
  // Feb 29 of a non-leap year rolls over to Mar 1: not a date of that year.
  const check = new Date(utcOffsetMinutes === undefined ? ms : ms + utcOffsetMinutes * 60_000);
  const checkMonth = utcOffsetMinutes === undefined ? check.getMonth() : check.getUTCMonth();
  return checkMonth === month ? ms : null;
}

/**
 * Unix ms of a yearless listing time: the most recent year that does not put
 * it in the future. Queued mail is days old at most (Postfix and Sendmail
 * return it after 5 days by default), so "this year, else last year" is right
 * across New Year; null when month or day is invalid.
 */
export function resolveYearlessTime(t: YearlessTime, options: ListingTimeOptions): number | null {
  const month = MONTHS.indexOf(t.month as (typeof MONTHS)[number]);
  if (month < 0 || t.day < 1 || t.day > 31) return null;
  const nowYear = new Date(options.nowUnixMs).getUTCFullYear();
  for (const year of [nowYear + 1, nowYear, nowYear - 1, nowYear - 2, nowYear - 3, nowYear - 4]) {
    const ms = wallClockToUnixMs(year, month, t, options.utcOffsetMinutes);
    if (ms !== null && ms <= options.nowUnixMs + FUTURE_TOLERANCE_MS) return ms;
  }
  return null;
}
