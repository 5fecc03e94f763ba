import type { KnownMtaKind, MtaKind } from "../../../shared/mta/mta-kinds.js";

/** Hosting panel or distribution packaging that changes where an MTA keeps its logs and queue. */
export type MtaFlavour = "plesk" | "cpanel" | "directadmin" | "debian" | "rhel";

/** What detectMta found: the MTA of the host and where its pieces are (paths as seen on the host). */
export interface MtaDetection {
  /** Which MTA runs (or is installed) here. */
  kind: MtaKind;
  /** Panel or packaging, when recognised. */
  flavour?: MtaFlavour;
  /** Version as the MTA reports it ("3.7.11", "4.96"); "" when unknown. */
  version: string;
  /**
   * Executables that belong to the MTA, delivery agents included, sorted;
   * a process whose /proc/PID/exe is not in this set is not the MTA.
   * Symlinks appear both as the link and as its target.
   */
  binaryPaths: string[];
  /** Log files to tail, existing ones first in order of preference; a path the MTA is configured to write is listed even before it exists. */
  logPaths: string[];
  /** Queue (spool) directory; "" when unknown. */
  queuePath: string;
  /** Why we think so, one human-readable fact per entry (also lists impostor processes). */
  evidence: string[];
}

/** What detection found for one MTA it saw (running, listening or merely installed). */
export interface MtaCandidate extends Omit<MtaDetection, "kind" | "evidence"> {
  /** The MTA. */
  kind: KnownMtaKind;
}

/**
 * detectMta's answer: the chosen MTA, plus what it found for every MTA it saw,
 * so that a forced `mta.kind` on a host with two MTAs installed can take the
 * other one's binaries, queue and logs instead of starting from nothing.
 */
export interface MtaDetectionReport extends MtaDetection {
  /** One entry per MTA seen, the chosen one first, then by weight (ties: the most common on hosting servers first). */
  candidates: MtaCandidate[];
}
