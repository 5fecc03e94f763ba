import type { ClickHouseStore } from "../store/clickhouse/store.js";
import type { DetectSettings } from "./detect-settings.js";
import type { FleetHost } from "./fleet-hosts.js";
import { canonicalIp, IpNetworks } from "../vocabulary/ip-networks.js";
import { tableName } from "../store/clickhouse/sql-literal.js";

/** What one detection run gives every detector. */
export interface DetectContext {
  store: ClickHouseStore;
  /** The run settings of `detect` (baselineDays, trustedNetworks, ...); each rule gets its own section when built. */
  config: DetectSettings;
  /** "Now" of this run, ms; every detector uses the same value. */
  nowMs: number;
  /** Hosts known to the fleet, by host id. */
  fleet: ReadonlyMap<string, FleetHost>;
  /** `database.table` of a spamtrace table. */
  table(name: string): string;
  /** True for clients that are the fleet itself: trusted networks, or any fleet host's own address. */
  isFleetAddress(address: string): boolean;
}

/** Builds the context of one run. */
export function createDetectContext(store: ClickHouseStore, config: DetectSettings, fleet: ReadonlyMap<string, FleetHost>, nowMs: number): DetectContext {
  const trusted = new IpNetworks(config.trustedNetworks);
  const fleetAddresses = new Set<string>();
  for (const host of fleet.values()) for (const ip of host.ipAddresses) fleetAddresses.add(sameAddress(ip));
  return {
    store,
    config,
    nowMs,
    fleet,
    table: (name) => tableName(store.database, name),
    isFleetAddress: (address) => trusted.has(address) || fleetAddresses.has(sameAddress(address)),
  };
}

// Same address, same key, however it was written (::ffff:1.2.3.4 vs 1.2.3.4, zero-compressed IPv6); a host's address may carry its prefix length.
function sameAddress(address: string): string {
  return canonicalIp(address.split("/")[0] ?? address) ?? address;
}

/** The lookback start of a rule, ms: `minutes` before now. */
export function lookbackStart(ctx: DetectContext, minutes: number): number {
  return ctx.nowMs - minutes * 60_000;
}
