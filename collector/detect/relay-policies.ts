import type { RelayConfigFinding } from "../../shared/mta/relay/relay-policy.js";
import { IpNetworks } from "../vocabulary/ip-networks.js";
import { inList, num, strings } from "../store/clickhouse/sql.js";
import type { DetectContext } from "./detect-context.js";

/** The relay policy in force on one host: its latest `relay_policies` row (without the served-domain list itself). */
export interface HostRelayPolicy {
  hostId: string;
  mta: string;
  /** When the batch carrying it was built, ms. */
  observedAtMs: number;
  hash: string;
  servedDomainCount: number;
  /** Networks the MTA lets relay without authentication. */
  permitted: IpNetworks;
  permittedNetworks: string[];
  /** True when every served-domain lookup could be listed: `mail_windows.relayed` then says all there is. */
  complete: boolean;
  unreadableSources: string[];
  findings: RelayConfigFinding[];
}

/** Latest relay policy per host (all hosts, or those given), keyed by host id. */
export async function latestRelayPolicies(ctx: DetectContext, hosts?: readonly string[]): Promise<Map<string, HostRelayPolicy>> {
  const where = hosts === undefined ? "" : `WHERE host_id IN ${inList(hosts)}`;
  const rows = await ctx.store.query<Record<string, unknown>>(
    `SELECT host_id, argMax(mta, read_at_unix_ms) AS mta, toUInt64(max(toUInt32(observed_at))) * 1000 AS observed_ms, argMax(hash, read_at_unix_ms) AS hash,
  length(argMax(served_domains, read_at_unix_ms)) AS domains, argMax(permitted_networks, read_at_unix_ms) AS networks,
  argMax(unreadable_sources, read_at_unix_ms) AS unreadable,
  argMax(finding_settings, read_at_unix_ms) AS f_settings, argMax(finding_files, read_at_unix_ms) AS f_files,
  argMax(finding_values, read_at_unix_ms) AS f_values, argMax(finding_reasons, read_at_unix_ms) AS f_reasons
FROM ${ctx.table("relay_policies")}
${where}
GROUP BY host_id`,
  );
  const out = new Map<string, HostRelayPolicy>();
  for (const r of rows) {
    const networks = strings(r.networks);
    const settings = strings(r.f_settings);
    const files = strings(r.f_files);
    const values = strings(r.f_values);
    const reasons = strings(r.f_reasons);
    const hostId = String(r.host_id);
    out.set(hostId, {
      hostId,
      mta: String(r.mta),
      observedAtMs: num(r.observed_ms),
      hash: String(r.hash),
      servedDomainCount: num(r.domains),
      permitted: new IpNetworks(networks.filter(isParsable)),
      permittedNetworks: networks,
      complete: strings(r.unreadable).length === 0,
      unreadableSources: strings(r.unreadable),
      findings: settings.map((setting, i) => ({ setting, file: files[i] ?? "", value: values[i] ?? "", reason: reasons[i] ?? "" })),
    });
  }
  return out;
}

function isParsable(cidr: string): boolean {
  try {
    new IpNetworks([cidr]);
    return true;
  } catch {
    return false;
  }
}
