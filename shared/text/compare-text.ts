/**
 * Orders strings by UTF-16 code units, the same on every host whatever its
 * locale (localeCompare depends on ICU's collation tables, and in a bare Node 20
 * process its first call adds 3 MB of RSS).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
