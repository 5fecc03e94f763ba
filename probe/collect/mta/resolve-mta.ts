import type { ProbeConfig } from "../../config/probe-config.js";
import type { CommandRunner } from "../run-command.js";
import { detectMta } from "./detect-mta.js";
import type { MtaDetection } from "./mta-detection.js";

/**
 * The MTA the probe works with: detected, or forced by `mta.kind`, with the
 * configured log paths and extra binaries applied on top.
 */
export async function resolveMta(config: ProbeConfig["mta"], run: CommandRunner): Promise<MtaDetection> {
  const detected = await detectMta({ run });
  const forced = config.kind !== "auto" && config.kind !== detected.kind;
  const base: MtaDetection = forced
    ? { kind: config.kind as MtaDetection["kind"], version: "", binaryPaths: [], logPaths: [], queuePath: "", evidence: [`mta.kind forced to ${config.kind} (detected ${detected.kind})`] }
    : detected;
  return {
    ...base,
    binaryPaths: [...new Set([...base.binaryPaths, ...config.binaryPaths])].sort(),
    logPaths: config.logPaths ?? base.logPaths.slice(0, 1),
  };
}
