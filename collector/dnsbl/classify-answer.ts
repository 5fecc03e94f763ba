import type { DnsblZoneInfo } from "./dnsbl-zones.js";

/** What an A answer of a DNSBL zone says about the address queried. */
export type DnsblVerdict = { outcome: "listed"; code: string; meaning: string } | { outcome: "error"; code: string; meaning: string };

// Answers that are not listings, whatever the zone:
// - 127.255.255.0/24 is Spamhaus's error range: 127.255.255.252 typo in the
//   zone / DQS key, 127.255.255.254 query through a public or open resolver
//   (refused), 127.255.255.255 excessive number of queries.
// - 127.0.0.1 is the "query refused / test" answer of several lists (URIBL,
//   SURBL) and never a listing code.
// - An answer outside 127.0.0.0/8 is a resolver that rewrites NXDOMAIN into
//   an address of its own (some ISP resolvers), not the list.
const SPAMHAUS_ERRORS: Readonly<Record<string, string>> = {
  "127.255.255.252": "error: typo in the DNSBL zone name or the Spamhaus DQS key",
  "127.255.255.254": "error: query refused because it came through a public or open resolver (use your own resolver, dnsbl.servers)",
  "127.255.255.255": "error: query refused for an excessive number of queries (use your own resolver or a Spamhaus DQS key)",
};

/** Classifies one A record of a DNSBL answer. */
export function classifyAnswer(address: string, zone: DnsblZoneInfo): DnsblVerdict {
  if (address.startsWith("127.255.255.")) return { outcome: "error", code: address, meaning: SPAMHAUS_ERRORS[address] ?? "error: the list refused the query (127.255.255.x)" };
  if (address === "127.0.0.1") return { outcome: "error", code: address, meaning: "error: the list refused the query (127.0.0.1 is not a listing code)" };
  if (!address.startsWith("127.")) return { outcome: "error", code: address, meaning: "error: answer outside 127.0.0.0/8 (the resolver rewrites unknown names; use a resolver that does not)" };
  return { outcome: "listed", code: address, meaning: zone.codes[address] ?? `listed on ${zone.zone} (code ${address})` };
}
