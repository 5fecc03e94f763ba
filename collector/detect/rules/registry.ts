import { authBruteforceRule } from "./auth-bruteforce.js";
import { backscatterRule } from "./backscatter.js";
import { blacklistedRule } from "./blacklisted.js";
import { compromisedAccountRule } from "./compromised-account.js";
import { directToMxRule } from "./direct-to-mx.js";
import { logStalledRule } from "./log-stalled.js";
import { openRelayRule } from "./open-relay.js";
import { queueSurgeRule } from "./queue-surge.js";
import { webScriptRule } from "./web-script.js";

/**
 * Every detection rule, in the order detectors run and the docs list them.
 * A new rule is one module (see docs/adding-a-rule.md) and one line here.
 */
export const RULES = [compromisedAccountRule, openRelayRule, directToMxRule, webScriptRule, backscatterRule, queueSurgeRule, authBruteforceRule, logStalledRule, blacklistedRule] as const;
