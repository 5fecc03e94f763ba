import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { IpNetworks, parseCidr } from "../../net/ip-networks.js";
import type { KnownMtaKind } from "../mta-kinds.js";
import { compareText } from "../../text/compare-text.js";

/** One setting of the MTA's configuration that opens the relay. */
export interface RelayConfigFinding {
  /** The setting: "mynetworks", "smtpd_relay_restrictions", "hostlist relay_from_hosts", "acl_smtp_rcpt (acl_check_rcpt)"… */
  setting: string;
  /** File it is set in. */
  file: string;
  /** Its value as configured. */
  value: string;
  /** Why it opens the relay. */
  reason: string;
}

/**
 * What the MTA's own configuration says about relaying: the domains it
 * serves, the networks it lets relay without authentication, and the settings
 * that make it an open relay. Read by the probe, sent to the collector.
 */
export interface RelayPolicy {
  mta: KnownMtaKind;
  /** Served domains, lower-case, sorted; ".example.org" stands for every subdomain of example.org. */
  servedDomains: string[];
  /** Permitted networks as CIDR, sorted; Internet-wide entries are left out (they are findings). */
  permittedNetworks: string[];
  /** Lookup sources whose keys could not be listed: a domain outside servedDomains may still be served. */
  unreadableSources: string[];
  /** Where the lists came from (files, commands). */
  sources: string[];
  /** Open-relay settings. */
  findings: RelayConfigFinding[];
}

/** Shortest IPv4 / IPv6 prefix that is still a network of one's own: anything shorter covers a good part of the Internet. */
const MIN_PRIVATE_PREFIX = 8;

/**
 * True when a permitted-network entry covers the Internet (or a good part of
 * it): "*", "0.0.0.0/0", "::/0", any prefix shorter than /8. Parsed with
 * node:net (shared/net/ip-networks.ts), not by hand.
 */
export function coversInternet(entry: string): boolean {
  if (entry.trim() === "*") return true;
  try {
    return parseCidr(entry.trim()).prefix < MIN_PRIVATE_PREFIX;
  } catch {
    return false;
  }
}

/**
 * A network entry as CIDR ("10.1.0.0/16", "::1/128"), or null when it is not
 * an address or network (a host name, a lookup table). Accepts Postfix's
 * "[::1]/128" and Exim's "::1" forms, and Sendmail/qmail's dotted prefixes
 * ("10.0" → 10.0.0.0/16, "192.168.1." → 192.168.1.0/24).
 */
export function toCidr(entry: string): string | null {
  let text = entry.trim().replace(/^\[([^\]]+)\]/, "$1");
  if (/^\d{1,3}(\.\d{1,3}){0,2}\.?$/.test(text)) {
    const parts = text.replace(/\.$/, "").split(".");
    text = `${[...parts, "0", "0", "0"].slice(0, 4).join(".")}/${parts.length * 8}`;
  }
  // Postfix's default "[::ffff:127.0.0.0]/104" is an IPv4 network written as IPv6.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)\/(\d+)$/i.exec(text);
  if (mapped !== null && Number(mapped[2]) >= 96) text = `${mapped[1]}/${Number(mapped[2]) - 96}`;
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  if (isIP(address) === 0) return null;
  try {
    const n = parseCidr(text);
    return `${n.address}/${n.prefix}`;
  } catch {
    return null;
  }
}

/** Normalises a policy: lists lower-cased (domains), deduplicated and sorted, so equal contents hash equally. */
export function normalisePolicy(p: RelayPolicy): RelayPolicy {
  const sorted = (values: readonly string[]) => [...new Set(values)].sort();
  return {
    mta: p.mta,
    servedDomains: sorted(p.servedDomains.map((d) => d.trim().toLowerCase().replace(/\.$/, "")).filter((d) => d.length > 0 && d !== ".")),
    permittedNetworks: sorted(p.permittedNetworks),
    unreadableSources: sorted(p.unreadableSources),
    sources: sorted(p.sources),
    findings: [...p.findings].sort((a, b) => compareText(`${a.file} ${a.setting}`, `${b.file} ${b.setting}`)),
  };
}

/** Hex SHA-256 (first 32 digits) of a normalised policy's contents. */
export function policyHash(p: RelayPolicy): string {
  const n = normalisePolicy(p);
  return createHash("sha256")
    .update(JSON.stringify([n.mta, n.servedDomains, n.permittedNetworks, n.unreadableSources, n.sources, n.findings.map((f) => [f.setting, f.file, f.value, f.reason])]))
    .digest("hex")
    .slice(0, 32);
}

/**
 * Answers the two questions relay counting asks of a policy: is this
 * recipient domain served here, and may this client relay without
 * authentication. Built once per policy; lookups are a Set probe per domain
 * label and a BlockList check.
 */
export class RelayJudge {
  private readonly exact = new Set<string>();
  private readonly parents = new Set<string>();
  private readonly permitted: IpNetworks;
  /** True when some lookup could not be listed: "not served" cannot be told from "not listed". */
  readonly partial: boolean;

  constructor(readonly policy: RelayPolicy) {
    for (const d of policy.servedDomains) (d.startsWith(".") ? this.parents : this.exact).add(d.toLowerCase());
    this.permitted = new IpNetworks(policy.permittedNetworks.filter((n) => !coversInternet(n)));
    this.partial = policy.unreadableSources.length > 0;
  }

  /** True when the host serves `domain`; false when it does not; null when the policy cannot tell (unlisted domain, partial policy). */
  serves(domain: string): boolean | null {
    const d = domain.toLowerCase().replace(/\.$/, "");
    if (d.length === 0) return true;
    if (this.exact.has(d)) return true;
    for (let i = d.indexOf("."); i >= 0; i = d.indexOf(".", i + 1)) if (this.parents.has(d.slice(i))) return true;
    return this.partial ? null : false;
  }

  /** True when `ip` may relay without authentication (a permitted network; Internet-wide entries never count). */
  permits(ip: string): boolean {
    return this.permitted.has(ip);
  }
}
