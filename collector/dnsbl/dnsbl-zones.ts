/** What one DNSBL zone's answers mean and where to ask for removal. */
export interface DnsblZoneInfo {
  /** The zone queried: <reversed address>.<zone>. */
  zone: string;
  /** Page where a listed address's owner asks for removal (or looks the listing up). */
  delistUrl: string;
  /** Return code (127.0.0.x answer) → what it means; a code not listed is reported as "listed (code X)". */
  codes: Readonly<Record<string, string>>;
}

// Published return codes of the common public lists (each list's own
// documentation page: Spamhaus "DNSBL return codes", Barracuda BRBL, SpamCop
// "How do I use the blocking list", PSBL). Error codes (127.255.255.x and
// answers outside 127.0.0.0/8) are in classify-answer.ts, for every zone.
const KNOWN: readonly DnsblZoneInfo[] = [
  {
    zone: "zen.spamhaus.org",
    delistUrl: "https://check.spamhaus.org/",
    codes: {
      "127.0.0.2": "SBL: Spamhaus SBL (known spam source or spam operation)",
      "127.0.0.3": "SBL CSS: snowshoe spam or compromised host sending low-reputation mail",
      "127.0.0.4": "XBL: exploited host (CBL: botnet / malware infection, proxy)",
      "127.0.0.5": "XBL: exploited host",
      "127.0.0.6": "XBL: exploited host",
      "127.0.0.7": "XBL: exploited host",
      "127.0.0.9": "SBL DROP: hijacked or spammer-operated network",
      "127.0.0.10": "PBL (ISP maintained): dynamic / end-user range that should not send mail directly",
      "127.0.0.11": "PBL (Spamhaus maintained): end-user range that should not send mail directly",
    },
  },
  {
    zone: "sbl.spamhaus.org",
    delistUrl: "https://check.spamhaus.org/",
    codes: { "127.0.0.2": "SBL: known spam source", "127.0.0.3": "SBL CSS: snowshoe spam or compromised host", "127.0.0.9": "SBL DROP: hijacked network" },
  },
  { zone: "xbl.spamhaus.org", delistUrl: "https://check.spamhaus.org/", codes: { "127.0.0.4": "XBL: exploited host (CBL)" } },
  { zone: "b.barracudacentral.org", delistUrl: "https://www.barracudacentral.org/rbl/removal-request", codes: { "127.0.0.2": "Barracuda Reputation Block List: poor sending reputation" } },
  { zone: "bl.spamcop.net", delistUrl: "https://www.spamcop.net/bl.shtml", codes: { "127.0.0.2": "SpamCop: reported by spam recipients in the last days (delists itself when reports stop)" } },
  { zone: "psbl.surriel.com", delistUrl: "https://psbl.org/", codes: { "127.0.0.2": "PSBL: sent mail to spam traps" } },
];

/** Built-in knowledge of a zone by name (case-insensitive), or undefined for a zone spamtrace does not know. */
export function knownZone(zone: string): DnsblZoneInfo | undefined {
  const name = zone.toLowerCase().replace(/\.$/, "");
  return KNOWN.find((z) => z.zone === name);
}
