/**
 * The MTA vocabulary, declared once: each set below is a const array, and the
 * types, config enums and CLI choices are derived from it. The sets differ on
 * purpose: the probe can detect OpenSMTPD and answer "unknown" or "none",
 * while the log parsers also read the IMAP/POP3 daemons' login lines.
 */

/**
 * MTA families with a parser of their own that can be selected alone
 * (`parse-log --mta`, the probe's parser choice) and a queue reader; in the
 * order detection breaks ties (the most common on hosting servers first).
 */
export const MTA_FAMILIES = ["postfix", "exim", "sendmail", "qmail"] as const;
/** One of {@link MTA_FAMILIES}. */
export type MtaFamily = (typeof MTA_FAMILIES)[number];

/** MTAs the probe recognises by their executables: the families, then OpenSMTPD (its lines are parsed under "auto"). */
export const KNOWN_MTA_KINDS = [...MTA_FAMILIES, "opensmtpd"] as const;
/** One of {@link KNOWN_MTA_KINDS}. */
export type KnownMtaKind = (typeof KNOWN_MTA_KINDS)[number];

/** What MTA detection answers: a known MTA, "unknown" (something serves SMTP, we cannot tell what) or "none" (no MTA at all). */
export const MTA_KINDS = [...KNOWN_MTA_KINDS, "unknown", "none"] as const;
/** One of {@link MTA_KINDS}. */
export type MtaKind = (typeof MTA_KINDS)[number];

/** Values of the probe's `mta.kind`: "auto" detects, a known kind forces it, "none" turns the MTA part off. */
export const PROBE_MTA_KIND_SETTINGS = ["auto", ...KNOWN_MTA_KINDS, "none"] as const;

/** Which parsers run: "auto" runs all; a family runs that family plus the IMAP/POP3 auth daemons (Dovecot, Courier). The `parse-log --mta` choices. */
export const MTA_SELECTIONS = ["auto", ...MTA_FAMILIES] as const;
/** One of {@link MTA_SELECTIONS}. */
export type MtaSelection = (typeof MTA_SELECTIONS)[number];

/** Software whose log lines the parsers understand, in the order parse-log reports `recognised_by_source`. */
export const MAIL_LOG_SOURCES = [...MTA_FAMILIES, "dovecot", "opensmtpd", "courier"] as const;
/** One of {@link MAIL_LOG_SOURCES}. */
export type MailLogSource = (typeof MAIL_LOG_SOURCES)[number];

/** True when `kind` names an MTA (not "unknown" or "none"). */
export function isKnownMtaKind(kind: string): kind is KnownMtaKind {
  return (KNOWN_MTA_KINDS as readonly string[]).includes(kind);
}

/** True when `kind` is an MTA family (narrows a detected kind to a parser selection). */
export function isMtaFamily(kind: string): kind is MtaFamily {
  return (MTA_FAMILIES as readonly string[]).includes(kind);
}
