import type { ProbeConfig } from "../../config/probe-config.js";
import type { CommandRunner } from "../run-command.js";
import { detectMta, type DetectMtaOptions } from "./detect-mta.js";
import type { MtaDetection, MtaDetectionReport } from "./mta-detection.js";

/** The MTA the probe works with, and what the operator should hear about how it was chosen. */
export interface ResolvedMta {
  /** Detected or forced MTA with the configured overrides applied. */
  mta: MtaDetection;
  /** Configuration that could not be honoured as written (logged as warnings at start). */
  warnings: string[];
}

/** The part of detection a forced kind takes over: the forced kind's own findings, or nothing when detection did not see it. */
function forcedBase(kind: Exclude<ProbeConfig["mta"]["kind"], "auto">, detected: MtaDetectionReport, warnings: string[]): MtaDetection {
  if (kind === "none") return { kind, version: "", binaryPaths: [], logPaths: [], queuePath: "", evidence: [...detected.evidence, "mta.kind forced to none"] };
  const found = detected.candidates.find((candidate) => candidate.kind === kind);
  if (found !== undefined) {
    const note = kind === detected.kind ? `mta.kind ${kind} matches detection` : `mta.kind forced to ${kind} (detection chose ${detected.kind}): using what detection found for ${kind}`;
    return { ...found, binaryPaths: [...found.binaryPaths], logPaths: [...found.logPaths], evidence: [...detected.evidence, note] };
  }
  const warning =
    `mta.kind is ${kind} but detection found no ${kind} on this host (it found ${detected.kind}); ` +
    "its version, binaries, queue and logs are only what mta.binaryPaths, mta.queuePath and mta.logPaths give";
  warnings.push(warning);
  return { kind, version: "", binaryPaths: [], logPaths: [], queuePath: "", evidence: [...detected.evidence, warning] };
}

/**
 * The MTA the probe works with: detected, or forced by `mta.kind`. A forced
 * kind keeps what detection found for that kind (a host may have two MTAs
 * installed; detection reports each). The explicit settings then win key by
 * key: `mta.logPaths` and `mta.queuePath` replace what was found,
 * `mta.binaryPaths` adds to it (extra executables, e.g. a second instance's).
 */
export async function resolveMta(config: Pick<ProbeConfig["mta"], "kind" | "binaryPaths" | "logPaths" | "queuePath">, run: CommandRunner, detect: Omit<DetectMtaOptions, "run"> = {}): Promise<ResolvedMta> {
  const detected = await detectMta({ ...detect, run, trustedBinaries: config.binaryPaths });
  const warnings: string[] = [];
  const { candidates: _candidates, ...chosen } = detected;
  const base = config.kind === "auto" ? chosen : forcedBase(config.kind, detected, warnings);
  return {
    mta: {
      ...base,
      binaryPaths: [...new Set([...base.binaryPaths, ...config.binaryPaths])].sort(),
      // Detection lists every plausible log; the probe follows the first (the MTA's own or syslog's mail file) unless told otherwise.
      logPaths: config.logPaths ?? base.logPaths.slice(0, 1),
      queuePath: config.queuePath ?? base.queuePath,
    },
    warnings,
  };
}
