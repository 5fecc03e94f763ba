/** Formats ms since the epoch as the 'YYYY-MM-DD hh:mm:ss' UTC text both 18.16 and 26.x accept. */
export function toClickHouseDateTime(unixMs: number): string {
  return new Date(unixMs).toISOString().slice(0, 19).replace("T", " ");
}
