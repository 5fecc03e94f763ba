import { isIP } from "node:net";
import { z } from "zod";

/** Default timeout of one DNS query, ms. */
export const DEFAULT_DNSBL_TIMEOUT_MS = 3000;
/** Default tries per query (node:dns `tries`). */
export const DEFAULT_DNSBL_TRIES = 2;
/** Default queries in flight at once. */
export const DEFAULT_DNSBL_CONCURRENCY = 8;
/** How long a "not listed" answer (NXDOMAIN) is reused, s: node:dns does not expose the SOA minimum of a negative answer. */
export const DEFAULT_DNSBL_NEGATIVE_CACHE_SECONDS = 900;

/** "IP" or "IP:PORT" or "[IPv6]:PORT", as node:dns Resolver.setServers takes them. */
const server = z.string().refine(
  (s) => {
    const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
    if (bracketed) return isIP(bracketed[1]!) === 6 && (bracketed[2] === undefined || Number(bracketed[2]) <= 65535);
    if (isIP(s) !== 0) return true;
    const v4 = /^([\d.]+):(\d{1,5})$/.exec(s);
    return v4 !== null && isIP(v4[1]!) === 4 && Number(v4[2]) >= 1 && Number(v4[2]) <= 65535;
  },
  { message: "must be an IP address, IPv4:PORT or [IPv6]:PORT (a resolver, not a host name)" },
);

const zoneName = z.string().regex(/^(?!-)[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+\.?$/, "must be a DNS zone name (zen.spamhaus.org)");

/** One configured zone: its name, or the name with the delisting page and return codes for a zone spamtrace does not know. */
export const dnsblZoneSchema = z.union([
  zoneName,
  z.strictObject({
    /** Zone name (zen.spamhaus.org, or a Spamhaus DQS zone <key>.zen.dq.spamhaus.net). */
    zone: zoneName,
    /** Delisting / lookup page named in incidents (default: the built-in one for known zones). */
    delistUrl: z.url().optional(),
    /** Return code → meaning, added to (and overriding) the built-in ones. */
    codes: z.record(z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, "must be a 127.x.y.z return code"), z.string().min(1)).default({}),
  }),
]);

/** The `dnsbl` section of the collector config: blacklist checks of the fleet's outbound addresses. */
export const dnsblConfigSchema = z.strictObject({
  /** Zones each address is checked against; empty = no checks (neither scheduled nor `spamtrace dnsbl`). */
  zones: z.array(dnsblZoneSchema).default([]),
  /**
   * Resolvers asked (IP, IP:PORT, [IPv6]:PORT); empty = the system's
   * (/etc/resolv.conf). Use a resolver of your own that queries the lists
   * directly: Spamhaus refuses queries through public resolvers (8.8.8.8,
   * 1.1.1.1, 9.9.9.9: answer 127.255.255.254), and other lists refuse or
   * rate-limit them too.
   */
  servers: z.array(server).default([]),
  /** Timeout of one DNS query, ms (per try). */
  timeoutMs: z.number().int().min(100).max(60_000).default(DEFAULT_DNSBL_TIMEOUT_MS),
  /** Tries per query before it is reported as a timeout. */
  tries: z.number().int().min(1).max(10).default(DEFAULT_DNSBL_TRIES),
  /** Queries in flight at once (p-limit). */
  concurrency: z.number().int().min(1).max(256).default(DEFAULT_DNSBL_CONCURRENCY),
  /** Seconds a "not listed" answer is reused (listed answers are reused for their TTL). */
  negativeCacheSeconds: z.number().int().min(0).max(86_400).default(DEFAULT_DNSBL_NEGATIVE_CACHE_SECONDS),
  /** Source addresses of outbound port-25 sockets seen within this many minutes are checked, with the hosts' own addresses. */
  socketLookbackMinutes: z.number().int().min(1).max(43_200).default(1440),
  /** Check private, loopback, link-local and CGNAT addresses too (no public list has them; off). */
  includePrivate: z.boolean().default(false),
  schedule: z
    .strictObject({
      /** Check the fleet's addresses periodically from the collector; one collector per interval runs it (claimed). */
      enabled: z.boolean().default(false),
      /** Minutes between two scheduled checks. */
      intervalMinutes: z.number().int().min(1).max(10_080).default(360),
    })
    .prefault({}),
});

/** Validated `dnsbl` configuration. */
export type DnsblConfig = z.output<typeof dnsblConfigSchema>;
