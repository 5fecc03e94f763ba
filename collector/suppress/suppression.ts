import { z } from "zod";
import type { Finding } from "../vocabulary/finding.js";
import { canonicalIp, isCidr, IpNetworks } from "../vocabulary/ip-networks.js";

/** What a suppression matches a finding on. */
export const SUPPRESSION_SCOPES = ["host", "identity", "cidr"] as const;
export type SuppressionScope = (typeof SUPPRESSION_SCOPES)[number];

/**
 * One suppression the abuse team controls: findings of `rule` ("*": any)
 * whose host / identity / client address matches `value` are still recorded
 * as incidents, marked suppressed with the reason, but not notified — until
 * `expiresAtMs`.
 */
export interface Suppression {
  /** "cfg:<n>" for collector-config entries, a random id for table rows. */
  id: string;
  rule: string;
  scope: SuppressionScope;
  /** Host id; account / sender / script (the incident subject); or a CIDR (an address alone is /32 or /128). */
  value: string;
  reason: string;
  expiresAtMs: number;
  /** Where it lives: the collector config or the `suppressions` table. */
  source: "config" | "table";
  createdBy: string;
  createdAtMs: number;
}

/** Parses an expiry: an ISO date or date-time (UTC when no zone), or a duration from now ("30d", "12h", "90m"). */
export function parseExpiry(text: string, nowMs: number): number {
  const duration = /^(\d{1,5})([mhdw])$/.exec(text.trim());
  if (duration) return nowMs + Number(duration[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[duration[2] as "m" | "h" | "d" | "w"];
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(iso) : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`expiry "${text}" must be a date (2027-01-31, 2027-01-31T18:00:00Z) or a duration (90m, 12h, 30d, 4w)`);
  return ms;
}

/** Checks a suppression's value against its scope; returns the normalised value or throws a RangeError naming the problem. */
export function checkSuppressionValue(scope: SuppressionScope, value: string): string {
  const v = value.trim();
  if (v.length === 0) throw new RangeError("value must not be empty");
  if (scope === "cidr") {
    if (v.includes("/")) {
      if (isCidr(v)) return v;
      throw new RangeError("must be an IP address or CIDR (203.0.113.0/24, 2001:db8::/48)");
    }
    const ip = canonicalIp(v);
    if (ip !== null) return ip.includes(":") ? `${ip}/128` : `${ip}/32`;
    throw new RangeError("must be an IP address or CIDR (203.0.113.0/24, 2001:db8::/48)");
  }
  return scope === "identity" ? v.toLowerCase() : v;
}

/** Schema of one `suppressions[]` entry of the collector config (rule names are checked by the caller, who knows them). */
export function suppressionConfigEntrySchema(ruleNames: readonly string[]) {
  return z
    .strictObject({
      /** Rule whose findings it silences (`compromised-account`, ...), or "*" for every rule. */
      rule: z.enum(["*", ...ruleNames] as [string, ...string[]]),
      /** host: a host id; identity: an account, sender address or script path (the incident's subject); cidr: client addresses. */
      scope: z.enum(SUPPRESSION_SCOPES),
      /** What it matches (see scope). */
      value: z.string().min(1),
      /** When it stops applying: an ISO date or date-time (UTC unless a zone is given). */
      expires: z.string().min(1),
      /** Why (shown on every suppressed incident). */
      reason: z.string().min(3),
    })
    .superRefine((entry, ctx) => {
      try {
        checkSuppressionValue(entry.scope, entry.value);
      } catch (error) {
        ctx.addIssue({ code: "custom", path: ["value"], message: (error as Error).message });
      }
      if (/^\d+[mhdw]$/.test(entry.expires.trim())) {
        ctx.addIssue({ code: "custom", path: ["expires"], message: "must be a date in the config (a duration would move at every restart)" });
        return;
      }
      try {
        parseExpiry(entry.expires, 0);
      } catch (error) {
        ctx.addIssue({ code: "custom", path: ["expires"], message: (error as Error).message });
      }
    });
}

/** A validated config entry. */
export type SuppressionConfigEntry = z.output<ReturnType<typeof suppressionConfigEntrySchema>>;

/** Config entries as suppressions ("cfg:<index>"). */
export function configSuppressions(entries: readonly SuppressionConfigEntry[]): Suppression[] {
  return entries.map((e, i) => ({
    id: `cfg:${i}`,
    rule: e.rule,
    scope: e.scope,
    value: checkSuppressionValue(e.scope, e.value),
    reason: e.reason,
    expiresAtMs: parseExpiry(e.expires, 0),
    source: "config",
    createdBy: "collector config",
    createdAtMs: 0,
  }));
}

/** Client addresses a finding names: an IP subject, details.client_ip, details.client_ips, details.clients. */
function findingAddresses(f: Finding): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === "string" && canonicalIp(v) !== null) out.push(v);
  };
  add(f.subject);
  add(f.details.client_ip);
  for (const key of ["client_ips", "clients"]) if (Array.isArray(f.details[key])) for (const v of f.details[key] as unknown[]) add(v);
  return out;
}

/** Does `s` cover finding `f` (rule, scope, value)? Expiry is the caller's (see {@link suppressionFor}). */
export function suppressionMatches(s: Suppression, f: Finding): boolean {
  if (s.rule !== "*" && s.rule !== f.rule) return false;
  switch (s.scope) {
    case "host":
      return f.scopeHost === s.value || (f.hosts.length > 0 && f.hosts.every((h) => h === s.value));
    case "identity": {
      const account = typeof f.details.account === "string" ? f.details.account.toLowerCase() : "";
      return f.subject.toLowerCase() === s.value || account === s.value;
    }
    case "cidr": {
      const addresses = findingAddresses(f);
      const net = new IpNetworks([s.value]);
      // Every address the finding names must be inside: a finding that also names an outside address is not only the known range.
      return addresses.length > 0 && addresses.every((a) => net.has(a));
    }
  }
}

/** The first unexpired suppression covering `f`, or undefined. */
export function suppressionFor(f: Finding, suppressions: readonly Suppression[], nowMs: number): Suppression | undefined {
  return suppressions.find((s) => s.expiresAtMs > nowMs && suppressionMatches(s, f));
}
