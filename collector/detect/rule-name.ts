/** Detection rules, as named in incidents, config routing and the `alerts` table. */
export const RULE_NAMES = [
  "compromised-account",
  "open-relay",
  "direct-to-mx",
  "web-script",
  "backscatter",
  "queue-surge",
  "auth-bruteforce",
] as const;

/** One of {@link RULE_NAMES}. */
export type RuleName = (typeof RULE_NAMES)[number];
