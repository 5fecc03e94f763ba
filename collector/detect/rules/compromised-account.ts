import type { z } from "zod";
import { delistStep, onHosts, purgeQueueStep } from "../remediation-steps.js";
import { count, minutes, multiplier, ruleConfigSchema, share } from "../rule-config.js";
import { defineRule } from "../rule.js";
import { accountFleetLoginDetector } from "./compromised-account-fleet-login.js";
import { accountTakeoverDetector } from "./compromised-account-takeover.js";
import { accountVolumeDetector } from "./compromised-account-volume.js";

/** detect.rules.compromisedAccount: an authenticated (SASL) account sending far above its own baseline, or taken over. */
export const compromisedAccountConfigSchema = ruleConfigSchema({
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
  /**
   * Messages (not recipients) the account sent in the lookback before the failure share is considered,
   * unless it sent more than baselineMultiplier × its own p95: a handful of newsletter messages to a few
   * dozen recipients, all deferred because the relay host is unreachable, is not a compromised account.
   */
  minFailureMessages: count(20),
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
  /** ... or as this many distinct users spread over at least two hosts. Shared addresses (CGNAT, offices, VPNs) do both all day, so: */
  fleetMinUsersAcrossHosts: count(2),
  /** ... pieces of evidence needed on top (failures before the successes, an address new to the accounts, their sending changed after the login, fleetManyUsers users). */
  fleetMinSignals: count(2),
  /** Failed logins from the address at or before its first success that count as evidence (a user's own typos are fewer). */
  fleetMinFailures: count(5),
  /** Distinct users logged in from one address that count as evidence by themselves. */
  fleetManyUsers: count(10),
});

/** Validated detect.rules.compromisedAccount. */
export type CompromisedAccountConfig = z.output<typeof compromisedAccountConfigSchema>;

/**
 * compromised-account: a mail account used by someone else — sending far
 * above its baseline or spreading to many domains from many networks
 * (compromised-account-volume.ts), logging in after a burst of failed
 * guesses (compromised-account-takeover.ts), or one outside IP logging in as
 * several users across the fleet (compromised-account-fleet-login.ts).
 */
export const compromisedAccountRule = defineRule({
  name: "compromised-account",
  configKey: "compromisedAccount",
  configSchema: compromisedAccountConfigSchema,
  severity: "high",
  detectors: (config) => [accountVolumeDetector(config), accountTakeoverDetector(config), accountFleetLoginDetector(config)],
  remediation(f, mtaKind) {
    const d = f.details;
    const on = onHosts(f);
    const account = String(d.account ?? f.subject);
    const ips = Array.isArray(d.client_ips) ? (d.client_ips as string[]).slice(0, 10) : typeof d.client_ip === "string" ? [d.client_ip] : [];
    const accounts = Array.isArray(d.accounts) ? (d.accounts as string[]).slice(0, 20).join(", ") : account;
    return [
      f.check === "fleet-client-ip"
        ? `Change the passwords of every account client ${f.subject} logged in as (${accounts}) and end their sessions [guide step 3.1: en cas de compte courriel compromis, changez le mot de passe du compte].`
        : `Change the password of ${account}${on} and end its open sessions (IMAP/SMTP) [guide step 3.1: changez le mot de passe du compte].`,
      ...(ips.length > 0 ? [`Block or rate-limit the client IPs ${ips.join(", ")} at the firewall / MTA while you investigate.`] : []),
      purgeQueueStep(f, mtaKind),
      "Check the Received: chain and X- headers of a complaint sample: the oldest Received: line should be your server when the account was used as a relay [guide: analysez les en-têtes].",
      delistStep(f),
      "Enforce strong passwords and per-account sending limits (Postfix smtpd_client_message_rate_limit / policy daemon, Exim ratelimit ACL) [guide step 6].",
    ];
  },
  doc: [
    {
      check: "volume / spread",
      data: "mail_windows `sasl_user`, auth_windows successes",
      firesWhen:
        "> 50 messages in 5 min and > 5 × p95 (floor 10); or ≥ 20 recipient domains together with ≥ 5 outside client IPs / ≥ 3 networks (/24, /48) or ≥ 50 % deferred+bounced of ≥ 20 deliveries when the account sent ≥ 20 messages or > 5 × its own p95 (a small newsletter all deferred stays silent). ≥ 10 × the bar: one level up",
      subject: "the account",
    },
    { check: "auth-burst-then-success", data: "auth_windows", firesWhen: "an outside IP fails ≥ 10 logins (any users) within 30 min, then logs in", subject: "the account that logged in" },
    {
      check: "fleet-client-ip (fleet)",
      data: "auth_windows, all hosts",
      firesWhen:
        "one outside IP logs in successfully as ≥ 3 users, or as ≥ 2 users on ≥ 2 hosts, within 60 min, with ≥ 2 of: ≥ 5 failed logins from it before its first success; an address none of those accounts (having history) logged in from before; their sending changed (≥ 20 recipient domains or ≥ 50 messages in the 60 min); ≥ 10 users. Shared addresses (CGNAT, offices, VPNs) with users logging in and sending normally stay silent",
      subject: "the client IP",
    },
  ],
});
