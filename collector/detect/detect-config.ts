import { z } from "zod";
import { isCidr } from "./ip-networks.js";

/** Default time between two detection runs, ms. */
export const DEFAULT_DETECT_INTERVAL_MS = 15_000;
/** Default history used for baselines, days. */
export const DEFAULT_BASELINE_DAYS = 7;
/** Default time without new activity after which an incident is resolved, minutes. */
export const DEFAULT_QUIET_MINUTES = 15;
/** Default wait between inserting a claim and reading who won it, ms (see collector/incidents/claim.ts). */
export const DEFAULT_CLAIM_SETTLE_MS = 1_500;
/** Networks whose clients are the host itself (webmail, content filters): never counted as outside clients. */
export const DEFAULT_TRUSTED_NETWORKS = ["127.0.0.0/8", "::1/128"];

const cidr = z.string().refine(isCidr, { message: "must be an IP address or CIDR block (10.0.0.0/8, 2001:db8::/32)" });
const minutes = (def: number) => z.number().int().min(1).max(10_080).default(def);
const count = (def: number) => z.number().int().min(1).default(def);
const multiplier = (def: number) => z.number().min(1).max(1000).default(def);
const share = (def: number) => z.number().gt(0).max(1).default(def);
/** Per-rule override of the global quiet period; absent = detect.quietMinutes. */
const quietMinutes = z.number().int().min(1).max(10_080).optional();

/** compromised-account: an authenticated (SASL) account sending far above its own baseline, or taken over. */
export const compromisedAccountConfigSchema = z.strictObject({
  /** Run this rule. */
  enabled: z.boolean().default(true),
  /** Sending compared with the baseline over this many minutes. */
  lookbackMinutes: minutes(5),
  /** Messages from the account in the lookback before its volume can fire (absolute minimum, whatever the baseline). */
  minMessages: count(50),
  /** ... and more than this many times its baseline (p95 of lookback-sized buckets over baselineDays). */
  baselineMultiplier: multiplier(5),
  /** Baseline assumed for an account without history (a new account): with the defaults it must send more than 50. */
  baselineFloorMessages: count(10),
  /** Distinct recipient domains in the lookback (sum of per-minute counts) that count as a spread signal. */
  minRecipientDomains: count(20),
  /** Distinct outside client IPs the account sent from in the lookback that count as a signal. */
  minClientIps: count(5),
  /** Distinct outside networks (/24 IPv4, /48 IPv6) the account sent from in the lookback that count as a signal. */
  minNetworks: count(3),
  /** Share of deferred + bounced among delivery attempts that counts as a signal. */
  minFailureShare: share(0.5),
  /** Delivery attempts needed before the failure share is considered. */
  minFailureDeliveries: count(20),
  /** Volume this many times the firing threshold raises the severity one level. */
  escalateMultiplier: multiplier(10),
  /** "Failures then success from one IP" looks this far back, minutes. */
  authLookbackMinutes: minutes(30),
  /** Failed logins from one IP (any usernames) before a success from that IP is a take-over. */
  burstFailures: count(10),
  /** Fleet check (one client IP logging in as several users / on several hosts) looks this far back, minutes. */
  fleetLookbackMinutes: minutes(60),
  /** One outside client IP logging in successfully as this many distinct users (any hosts) fires. */
  fleetMinUsers: count(3),
  /** ... or as this many distinct users spread over at least two hosts. */
  fleetMinUsersAcrossHosts: count(2),
  quietMinutes,
});

/** open-relay (passive): unauthenticated outside clients whose mail is handed to remote delivery. */
export const openRelayConfigSchema = z.strictObject({
  /** Run this rule. */
  enabled: z.boolean().default(true),
  /** Windows looked at, minutes (deliveries of a message may land in the minutes after it was received). */
  lookbackMinutes: minutes(10),
  /** Unauthenticated messages from one outside client before its remote deliveries count. */
  minMessages: count(1),
  /** Loopback ports of content filters (amavis, spamassassin): a hop to them is not remote delivery. */
  filterRelayPorts: z.array(z.number().int().min(1).max(65535)).default([10024, 10025, 10026, 10027]),
  /** Open relays stay open until fixed; a long quiet period avoids re-opening between relay-check runs. */
  quietMinutes: quietMinutes.default(120),
});

/** direct-to-mx: outbound SMTP connections from processes that are not the MTA. */
export const directToMxConfigSchema = z.strictObject({
  /** Run this rule. */
  enabled: z.boolean().default(true),
  /** Socket snapshots looked at, minutes. */
  lookbackMinutes: minutes(5),
  /** Remote ports that mean "talking to an MX". 587/465 are submission to a smarthost, not direct-to-MX. */
  remotePorts: z.array(z.number().int().min(1).max(65535)).min(1).default([25]),
  /** Executables counted as the MTA on every host, besides each host's own hosts.mta_binary_paths. */
  mtaExecutables: z.array(z.string().min(1)).default([]),
  /** Executables allowed to connect out to an MX (monitoring agents); matched exactly. */
  allowedExecutables: z.array(z.string().min(1)).default([]),
  /** Remote networks that are the fleet's own relays/smarthosts (connections to them are not direct-to-MX). */
  allowedRemoteNetworks: z.array(cidr).default([]),
  /** Executable path prefixes where no legitimate mailer lives. */
  suspiciousDirs: z.array(z.string().min(1)).default(["/tmp/", "/dev/shm/", "/var/tmp/", "/home/", "/run/user/"]),
  /** Process names that imitate an MTA (a spam tool calling itself sendmail). */
  mtaNames: z.array(z.string().min(1)).default(["sendmail", "smtpd", "smtp", "exim", "exim4", "postfix", "master", "qmgr", "sm-mta", "qmail-remote", "qmail-send"]),
  /** The same executable (sha256, else path) sending from this many hosts also raises a fleet incident. */
  fleetMinHosts: count(2),
  quietMinutes,
});

/** web-script: local submissions (script path, local user) above their baseline. */
export const webScriptConfigSchema = z.strictObject({
  /** Run this rule. */
  enabled: z.boolean().default(true),
  /** Submissions compared with the baseline over this many minutes. */
  lookbackMinutes: minutes(10),
  /** Messages from the script/user in the lookback before it can fire. */
  minMessages: count(30),
  /** ... and more than this many times its baseline. */
  baselineMultiplier: multiplier(5),
  /** Baseline assumed for a script/user without history: with the defaults a new one must send more than 30. */
  baselineFloorMessages: count(6),
  /** Volume this many times the firing threshold raises the severity one level. */
  escalateMultiplier: multiplier(10),
  /** Local users that are the MTA itself (bounces, queue runs), never a web script. */
  ignoredLocalUsers: z.array(z.string()).default(["Debian-exim", "exim", "mail", "mailnull", "postfix", "smmsp", "qmaild", "qmailq", "qmailr", "qmails"]),
  /** Script/cwd prefixes that are the MTA's own folders (Exim re-executing itself from its spool). */
  ignoredScriptPrefixes: z.array(z.string()).default(["/var/spool/exim4", "/var/spool/exim", "/var/spool/postfix"]),
  /** The same script path sending on this many hosts raises a fleet incident. */
  fleetMinHosts: count(2),
  /** Messages per host in the lookback for the fleet check. */
  fleetMinMessages: count(10),
  quietMinutes,
});

/** backscatter: null-sender (bounce) mail far above normal, going to outside addresses. */
export const backscatterConfigSchema = z.strictObject({
  /** Run this rule. */
  enabled: z.boolean().default(true),
  /** Windows looked at, minutes. */
  lookbackMinutes: minutes(10),
  /** Bounces generated in the lookback before it can fire. */
  minBounces: count(20),
  /** Share of null-sender mail among all received mail that counts. */
  minShare: share(0.3),
  /** ... and more than this many times the host's baseline of bounces. */
  baselineMultiplier: multiplier(5),
  /** Baseline assumed for a host without history: with the defaults more than 20 bounces. */
  baselineFloorBounces: count(4),
  /** Null-sender messages in the queue that count (queue variant). */
  minQueueBounces: count(50),
  /** Share of null-sender messages in the queue that counts (queue variant). */
  minQueueShare: share(0.5),
  quietMinutes,
});

/** queue-surge: the MTA queue far above its baseline, mostly deferred, or very old. */
export const queueSurgeConfigSchema = z.strictObject({
  /** Run this rule. */
  enabled: z.boolean().default(true),
  /** Only snapshots this recent count, minutes. */
  lookbackMinutes: minutes(5),
  /** Queued messages before depth can fire. */
  minMessages: count(500),
  /** ... and more than this many times the host's baseline (p95 of snapshot totals). */
  baselineMultiplier: multiplier(5),
  /** Baseline assumed for a host without queue history: with the defaults more than 500 queued. */
  baselineFloorMessages: count(100),
  /** Share of the queue that is deferred (with at least minMessages queued) that fires. */
  minDeferredShare: share(0.8),
  /** Oldest queued message older than this fires at low severity (Postfix's maximal_queue_lifetime is 5 days); 0 disables. */
  maxOldestAgeSeconds: z.number().int().min(0).default(432_000),
  quietMinutes,
});

/** auth-bruteforce: many failed logins from one client IP, on one host or across hosts. */
export const authBruteforceConfigSchema = z.strictObject({
  /** Run this rule. */
  enabled: z.boolean().default(true),
  /** Failures counted over this many minutes. */
  lookbackMinutes: minutes(15),
  /** Failures from one IP on one host that fire. */
  minFailures: count(20),
  /** Failures from one IP summed over the fleet that fire a fleet incident ... */
  fleetMinFailures: count(50),
  /** ... when they hit at least this many hosts. */
  fleetMinHosts: count(2),
  /** Failures this many times the threshold raise the severity one level. */
  escalateMultiplier: multiplier(10),
  quietMinutes,
});

/** The `detect` section of the collector config. */
export const detectConfigSchema = z.strictObject({
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
  rules: z
    .strictObject({
      compromisedAccount: compromisedAccountConfigSchema.prefault({}),
      openRelay: openRelayConfigSchema.prefault({}),
      directToMx: directToMxConfigSchema.prefault({}),
      webScript: webScriptConfigSchema.prefault({}),
      backscatter: backscatterConfigSchema.prefault({}),
      queueSurge: queueSurgeConfigSchema.prefault({}),
      authBruteforce: authBruteforceConfigSchema.prefault({}),
    })
    .prefault({}),
});

/** Validated `detect` configuration. */
export type DetectConfig = z.output<typeof detectConfigSchema>;
/** Per-rule sections of {@link DetectConfig}. */
export type RuleConfigs = DetectConfig["rules"];
