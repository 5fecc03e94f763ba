import type { DetectConfig } from "./detect-config.js";
import type { Detector } from "./detector.js";
import { accountFleetLoginDetector } from "./rules/account-fleet-login.js";
import { accountTakeoverDetector } from "./rules/account-takeover.js";
import { accountVolumeDetector } from "./rules/account-volume.js";
import { authBruteforceDetector } from "./rules/auth-bruteforce.js";
import { backscatterDetector } from "./rules/backscatter.js";
import { directToMxDetector } from "./rules/direct-to-mx.js";
import { openRelayDetector } from "./rules/open-relay.js";
import { queueSurgeDetector } from "./rules/queue-surge.js";
import { webScriptDetector } from "./rules/web-script.js";

/** The detectors of every enabled rule, in a stable order. */
export function buildDetectors(config: DetectConfig): Detector[] {
  const r = config.rules;
  return [
    ...(r.compromisedAccount.enabled
      ? [accountVolumeDetector(r.compromisedAccount), accountTakeoverDetector(r.compromisedAccount), accountFleetLoginDetector(r.compromisedAccount)]
      : []),
    ...(r.openRelay.enabled ? [openRelayDetector(r.openRelay)] : []),
    ...(r.directToMx.enabled ? [directToMxDetector(r.directToMx)] : []),
    ...(r.webScript.enabled ? [webScriptDetector(r.webScript)] : []),
    ...(r.backscatter.enabled ? [backscatterDetector(r.backscatter, r.openRelay.filterRelayPorts)] : []),
    ...(r.queueSurge.enabled ? [queueSurgeDetector(r.queueSurge)] : []),
    ...(r.authBruteforce.enabled ? [authBruteforceDetector(r.authBruteforce)] : []),
  ];
}

/** Quiet period of a rule, minutes: its own override or detect.quietMinutes. */
export function quietMinutesFor(config: DetectConfig, rule: string): number {
  const key = rule.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof DetectConfig["rules"];
  return config.rules[key]?.quietMinutes ?? config.quietMinutes;
}
