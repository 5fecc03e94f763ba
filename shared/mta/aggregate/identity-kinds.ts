/**
 * Kinds of sender identity a message, rejection or login is counted under,
 * declared once (windows, parse-log, the collector's validation). The order is
 * the sort order of reports: the most specific culprit first.
 */
export const IDENTITY_KINDS = ["sasl_user", "local_user", "script", "client_ip", "envelope_sender"] as const;
/** One of {@link IDENTITY_KINDS}. */
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** True when `kind` is one of {@link IDENTITY_KINDS} (a value from the wire). */
export function isIdentityKind(kind: string): kind is IdentityKind {
  return (IDENTITY_KINDS as readonly string[]).includes(kind);
}
