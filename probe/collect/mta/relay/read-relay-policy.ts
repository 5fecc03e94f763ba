import { normalisePolicy, type RelayPolicy } from "../../../../shared/mta/relay/relay-policy.js";
import type { CommandRunner } from "../../run-command.js";
import type { HostFiles } from "../host-files.js";
import type { MtaDetection } from "../mta-detection.js";
import { EXIM_BINARY_CANDIDATES } from "../read-exim-config.js";
import { POSTCONF_CANDIDATES } from "../read-postfix-config.js";
import { readCpanelDomains, readQmailRelayPolicy, readSendmailRelayPolicy } from "./read-file-relay-policy.js";
import { parseEximConfigPath, readEximRelayPolicy } from "./read-exim-relay-policy.js";
import { readPostfixRelayPolicy } from "./read-postfix-relay-policy.js";

/**
 * The relay policy of the host's MTA (served domains, permitted networks,
 * open-relay settings), normalised; null when the MTA's configuration could
 * not be read (the reason is in evidence). Read at start and again every
 * mta.relayPolicyIntervalMs: the probe sends it when its hash changes.
 */
export async function readRelayPolicy(mta: Pick<MtaDetection, "kind" | "flavour" | "binaryPaths">, files: HostFiles, run: CommandRunner, timeoutMs: number, evidence: string[]): Promise<RelayPolicy | null> {
  let policy: RelayPolicy | null = null;
  switch (mta.kind) {
    case "postfix": {
      const postconf = await firstExecutable(files, [...mta.binaryPaths.filter((p) => p.endsWith("/postconf")), ...POSTCONF_CANDIDATES]);
      if (postconf === undefined) evidence.push("postconf not found: no relay policy");
      else policy = await readPostfixRelayPolicy(files, run, postconf, timeoutMs, evidence);
      break;
    }
    case "exim": {
      const binary = await firstExecutable(files, [...mta.binaryPaths.filter((p) => /\/exim4?$/.test(p)), ...EXIM_BINARY_CANDIDATES]);
      if (binary === undefined) {
        evidence.push("exim binary not found: no relay policy");
        break;
      }
      try {
        const configPath = parseEximConfigPath((await run(files.local(binary), ["-bV"], { timeoutMs })).stdout);
        if (configPath === "") evidence.push(`${binary} -bV did not name its configuration file`);
        else policy = await readEximRelayPolicy(files, configPath, evidence);
      } catch (error) {
        evidence.push(`${binary} could not run: ${(error as Error).message}`);
      }
      break;
    }
    case "sendmail":
      policy = await readSendmailRelayPolicy(files);
      break;
    case "qmail":
      policy = await readQmailRelayPolicy(files);
      break;
    default:
      evidence.push(`no relay policy reader for ${mta.kind}`);
  }
  if (policy !== null && mta.flavour === "cpanel") {
    const cpanel = await readCpanelDomains(files);
    if (cpanel !== null) {
      policy.servedDomains.push(...cpanel.domains);
      policy.sources.push(cpanel.source);
    }
  }
  return policy === null ? null : normalisePolicy(policy);
}

async function firstExecutable(files: HostFiles, candidates: readonly string[]): Promise<string | undefined> {
  for (const c of candidates) if (await files.isExecutable(c)) return c;
  return undefined;
}
