import { loadFleetHosts } from "../detect/fleet-hosts.js";
import { dateTimeAt, strings } from "../store/clickhouse/sql.js";
import { tableName } from "../store/clickhouse/sql-literal.js";
import type { ClickHouseStore } from "../store/clickhouse/store.js";
import { canonicalIp, IpNetworks } from "../vocabulary/ip-networks.js";

// No public DNSBL lists these (RFC 1918, CGNAT, loopback, link-local,
// unspecified, ULA); asking about them only tells the list's operator the
// fleet's internal addressing.
const NOT_PUBLIC = new IpNetworks(["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "::/128", "::1/128", "fe80::/10", "fc00::/7"]);

/** True for an address no public list has (private, loopback, link-local, CGNAT...). */
export function isNonPublicAddress(address: string): boolean {
  return NOT_PUBLIC.has(address);
}

/**
 * The fleet's outbound addresses, each with the hosts it belongs to: every
 * host's own addresses (its latest Hello) and the local address of every
 * outbound socket to remote port 25 in the last `lookbackMinutes` (the
 * address receiving MXes actually see, which NAT or a second address may make
 * different from the Hello's). Canonical spelling; non-public addresses left
 * out unless `includePrivate`.
 */
export async function fleetOutboundAddresses(store: ClickHouseStore, opts: { lookbackMinutes: number; includePrivate: boolean; nowMs: number }): Promise<Map<string, string[]>> {
  const found = new Map<string, Set<string>>();
  const add = (raw: string, hostId: string): void => {
    const ip = canonicalIp(raw.split("/")[0] ?? raw);
    if (ip === null || (!opts.includePrivate && isNonPublicAddress(ip))) return;
    const hosts = found.get(ip) ?? new Set<string>();
    hosts.add(hostId);
    found.set(ip, hosts);
  };
  for (const host of (await loadFleetHosts(store)).values()) for (const ip of host.ipAddresses) add(ip, host.hostId);
  const rows = await store.query<Record<string, unknown>>(
    `SELECT local_address, groupUniqArray(host_id) AS host_ids
FROM ${tableName(store.database, "socket_snapshots")}
WHERE direction = 'outbound' AND remote_port = 25 AND observed_at >= ${dateTimeAt(opts.nowMs - opts.lookbackMinutes * 60_000)}
GROUP BY local_address`,
  );
  for (const r of rows) for (const hostId of strings(r.host_ids)) add(String(r.local_address), hostId);
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)).map(([ip, hosts]) => [ip, [...hosts].sort()]));
}
