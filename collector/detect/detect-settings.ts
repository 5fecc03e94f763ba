import { z } from "zod";
import { cidr } from "./rule-config.js";

/** Default time between two detection runs, ms. */
export const DEFAULT_DETECT_INTERVAL_MS = 5_000;
/** Default history used for baselines, days. */
export const DEFAULT_BASELINE_DAYS = 7;
/** Default time without new activity after which an incident is resolved, minutes. */
export const DEFAULT_QUIET_MINUTES = 15;
/** Default wait between inserting a claim and reading who won it, ms (see collector/incidents/claim.ts). */
export const DEFAULT_CLAIM_SETTLE_MS = 1_500;
/** Networks whose clients are the host itself (webmail, content filters): never counted as outside clients. */
export const DEFAULT_TRUSTED_NETWORKS = ["127.0.0.0/8", "::1/128"];

/** The keys of the `detect` section that are not about one rule (the rules' sections: detect-config.ts). */
export const detectSettingsShape = {
  /** Run the detectors in this collector (every collector sharing a ClickHouse may; incidents are raised once). */
  enabled: z.boolean().default(true),
  /** Time between two detection runs, ms. */
  intervalMs: z.number().int().min(1_000).max(3_600_000).default(DEFAULT_DETECT_INTERVAL_MS),
  /** Client/remote networks that are the hosts themselves (webmail, filters); the hosts' own addresses are added. */
  trustedNetworks: z.array(cidr).default(DEFAULT_TRUSTED_NETWORKS),
  /** History used for per-account / per-host baselines, days. */
  baselineDays: z.number().int().min(1).max(90).default(DEFAULT_BASELINE_DAYS),
  /** An incident without new activity for this long is resolved, minutes. */
  quietMinutes: z.number().int().min(1).max(10_080).default(DEFAULT_QUIET_MINUTES),
  /** Wait between inserting a claim and reading who won, ms; must exceed insert latency and clock skew between ClickHouse replicas. */
  claimSettleMs: z.number().int().min(0).max(60_000).default(DEFAULT_CLAIM_SETTLE_MS),
};

/** The validated keys of `detect` that every rule may read (baselineDays, trustedNetworks, ...). */
export type DetectSettings = z.output<z.ZodObject<typeof detectSettingsShape>>;
