import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import { toClickHouseDateTime } from "../store/clickhouse/datetime.js";
import type { ClickHouseStore } from "../store/clickhouse/store.js";
import { canonicalIp } from "../vocabulary/ip-networks.js";
import type { DnsblConfig } from "./dnsbl-config.js";
import type { DnsblAnswer, DnsblLookup } from "./dnsbl-lookup.js";
import { knownZone, type DnsblZoneInfo } from "./dnsbl-zones.js";
import { fleetOutboundAddresses } from "./outbound-addresses.js";

/** One answer of a run, with the hosts owning the address and the zone's delisting page. */
export interface DnsblResult extends DnsblAnswer {
  hostIds: string[];
  delistUrl: string;
}

/** What one check run did. */
export interface DnsblRunReport {
  runId: string;
  /** "schedule" (the collector's timer) or "command" (`spamtrace dnsbl`). */
  trigger: "schedule" | "command";
  checkedAtMs: number;
  addresses: number;
  zones: string[];
  results: DnsblResult[];
}

/** The configured zones with what spamtrace knows of them (delisting page, return codes); the config's own values win. */
export function configuredZones(config: Pick<DnsblConfig, "zones">): DnsblZoneInfo[] {
  return config.zones.map((z) => {
    const name = (typeof z === "string" ? z : z.zone).toLowerCase().replace(/\.$/, "");
    const known = knownZone(name);
    const own = typeof z === "string" ? undefined : z;
    return { zone: name, delistUrl: own?.delistUrl ?? known?.delistUrl ?? "", codes: { ...known?.codes, ...own?.codes } };
  });
}

/**
 * Checks the fleet's outbound addresses (or `addresses`, when given) against
 * every configured zone, `concurrency` queries at once, and stores one
 * `dnsbl_checks` row per address and zone. A query that fails (timeout,
 * refused, error code) is a result with outcome "error": the run goes on.
 */
export async function runDnsblCheck(opts: {
  store: ClickHouseStore;
  config: DnsblConfig;
  lookup: DnsblLookup;
  collectorId: string;
  trigger: "schedule" | "command";
  /** Addresses to check instead of the fleet's (spamtrace dnsbl --address); hosts are still named when the fleet has them. */
  addresses?: readonly string[];
  now?: () => number;
}): Promise<DnsblRunReport> {
  const now = opts.now ?? Date.now;
  const checkedAtMs = now();
  const zones = configuredZones(opts.config);
  const fleet = await fleetOutboundAddresses(opts.store, { lookbackMinutes: opts.config.socketLookbackMinutes, includePrivate: opts.config.includePrivate, nowMs: checkedAtMs });
  let targets = fleet;
  if (opts.addresses) {
    targets = new Map();
    for (const raw of opts.addresses) {
      const ip = canonicalIp(raw);
      if (ip === null) throw new RangeError(`--address ${raw} is not an IP address`);
      targets.set(ip, fleet.get(ip) ?? []);
    }
  }
  const limit = pLimit(opts.config.concurrency);
  const results = await Promise.all(
    [...targets].flatMap(([address, hostIds]) =>
      zones.map((zone) => limit(async (): Promise<DnsblResult> => ({ ...(await opts.lookup.check(address, zone)), hostIds, delistUrl: zone.delistUrl }))),
    ),
  );
  const runId = randomUUID();
  if (results.length > 0) {
    await opts.store.insert(
      "dnsbl_checks",
      results.map((r) => ({
        checked_at: toClickHouseDateTime(r.checkedAtMs),
        checked_at_unix_ms: r.checkedAtMs,
        run_id: runId,
        trigger: opts.trigger,
        address: r.address,
        zone: r.zone,
        host_ids: r.hostIds,
        outcome: r.outcome,
        return_codes: r.codes,
        meanings: r.meanings,
        txt: r.txt,
        delist_url: r.delistUrl,
        ttl_seconds: r.ttlSeconds,
        from_cache: r.fromCache ? 1 : 0,
        error: r.error,
        duration_ms: Math.max(0, Math.round(r.durationMs)),
        collector_id: opts.collectorId,
      })),
    );
  }
  return { runId, trigger: opts.trigger, checkedAtMs, addresses: targets.size, zones: zones.map((z) => z.zone), results };
}
