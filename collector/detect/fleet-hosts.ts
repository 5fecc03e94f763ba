import type { ClickHouseStore } from "../store/clickhouse/store.js";
import { strings } from "../store/clickhouse/sql.js";
import { tableName } from "../store/clickhouse/sql-literal.js";

/** What the detectors need to know about one host, from its latest `hosts` row. */
export interface FleetHost {
  hostId: string;
  hostname: string;
  /** The host's own non-loopback addresses (clients from these are the fleet, not outsiders). */
  ipAddresses: string[];
  mtaKind: string;
  /** Executables of the host's MTA (its delivery agents included). */
  mtaBinaryPaths: string[];
}

/** Latest `hosts` row per host id. (Aliases differ from column names: ClickHouse substitutes an alias wherever its name appears.) */
export async function loadFleetHosts(store: ClickHouseStore): Promise<Map<string, FleetHost>> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT host_id,
  argMax(hostname, last_seen_unix_ms) AS last_hostname,
  argMax(ip_addresses, last_seen_unix_ms) AS last_ip_addresses,
  argMax(mta_kind, last_seen_unix_ms) AS last_mta_kind,
  argMax(mta_binary_paths, last_seen_unix_ms) AS last_mta_binary_paths
FROM ${tableName(store.database, "hosts")}
GROUP BY host_id`,
  );
  const hosts = new Map<string, FleetHost>();
  for (const r of rows) {
    const hostId = String(r.host_id);
    hosts.set(hostId, {
      hostId,
      hostname: String(r.last_hostname ?? ""),
      ipAddresses: strings(r.last_ip_addresses),
      mtaKind: String(r.last_mta_kind ?? ""),
      mtaBinaryPaths: strings(r.last_mta_binary_paths),
    });
  }
  return hosts;
}
