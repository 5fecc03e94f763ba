/**
 * Orders strings by UTF-16 code units, the same on every host whatever its
 * locale. The probe sorts with this, not localeCompare: the first collation
 * loads ICU's data into the process (+3 MB RSS, measured on Node 20).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
