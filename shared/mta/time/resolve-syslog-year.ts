/** Default slack for lines stamped slightly after "now" (clock skew between writer and reader). */
export const SYSLOG_FUTURE_TOLERANCE_MS = 86_400_000;

/**
 * Picks the year of a year-less syslog timestamp (`Nov 29 07:04:10`), read in
 * local time: the latest of nowYear+1, nowYear, nowYear-1 that does not put the
 * line more than `toleranceMs` after `nowUnixMs`. So a December line read in
 * January belongs to last year, and a `Jan 1 00:00:01` line read a few seconds
 * before midnight (skewed clocks) to next year. Feb 29 goes back to the last
 * leap year.
 */
export function resolveSyslogYear(
  month0: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  nowUnixMs: number,
  toleranceMs: number = SYSLOG_FUTURE_TOLERANCE_MS,
): number {
  const nowYear = new Date(nowUnixMs).getFullYear();
  for (let year = nowYear + 1; year >= nowYear - 8; year--) {
    const t = new Date(year, month0, day, hour, minute, second);
    if (t.getMonth() !== month0) continue; // Feb 29 outside a leap year rolls into March
    if (t.getTime() <= nowUnixMs + toleranceMs) return year;
  }
  return nowYear;
}

/** Unix milliseconds of a year-less local syslog timestamp, with the year from resolveSyslogYear. */
export function syslogTimestampToUnixMs(
  month0: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  nowUnixMs: number,
  toleranceMs: number = SYSLOG_FUTURE_TOLERANCE_MS,
): number {
  const year = resolveSyslogYear(month0, day, hour, minute, second, nowUnixMs, toleranceMs);
  return new Date(year, month0, day, hour, minute, second).getTime();
}
