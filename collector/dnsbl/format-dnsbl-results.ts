import { formatTable } from "../../shared/cli/format-table.js";
import type { DnsblRunReport } from "./run-dnsbl-check.js";

/** A DNSBL run as a terminal table: listings and errors first, then the addresses no zone lists. */
export function formatDnsblReport(report: DnsblRunReport): string {
  if (report.zones.length === 0) return "no DNSBL zones configured (dnsbl.zones)\n";
  if (report.results.length === 0) return `no outbound addresses to check (zones: ${report.zones.join(", ")})\n`;
  const order = { listed: 0, error: 1, not_listed: 2 } as const;
  const rows = [...report.results].sort((a, b) => order[a.outcome] - order[b.outcome] || a.address.localeCompare(b.address) || a.zone.localeCompare(b.zone));
  const cells = rows.map((r) => [
    r.outcome === "not_listed" ? "not listed" : r.outcome.toUpperCase(),
    r.address,
    r.hostIds.join(",") || "-",
    r.zone,
    r.codes.join(",") || r.error || "-",
    r.outcome === "not_listed" ? "" : `${r.meanings.join("; ")}${r.outcome === "listed" && r.delistUrl ? ` — delist: ${r.delistUrl}` : ""}`,
  ]);
  const count = (o: string): number => report.results.filter((r) => r.outcome === o).length;
  return formatTable(["outcome", "address", "hosts", "zone", "code", "meaning"], cells) + `${report.addresses} addresses × ${report.zones.length} zones: ${count("listed")} listed, ${count("error")} errors, ${count("not_listed")} not listed (run ${report.runId})\n`;
}
