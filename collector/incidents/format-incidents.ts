import type { Incident } from "./incident.js";

const time = (ms: number): string => (ms > 0 ? new Date(ms).toISOString().slice(0, 19).replace("T", " ") : "-");
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The terminal view of incidents: an aligned table (one line each), then per
 * incident its summary, what it names, evidence (sample lines, queue ids,
 * Message-IDs) and the next steps.
 */
export function formatIncidents(incidents: readonly Incident[], opts: { evidenceLines?: number } = {}): string {
  if (incidents.length === 0) return "no incidents\n";
  const header = ["ID", "SEVERITY", "RULE", "STATUS", "HOSTS", "SUBJECT", "FIRST SEEN (UTC)", "LAST SEEN (UTC)"];
  const rows = incidents.map((i) => [
    i.id.slice(0, 12),
    i.severity,
    i.rule,
    i.suppressionId === "" ? i.status : `${i.status}, suppressed`,
    clip(i.scope === "fleet" ? `fleet:${i.hosts.join(",")}` : i.hosts.join(","), 30),
    clip(i.subject, 50),
    time(i.firstSeenMs),
    time(i.lastSeenMs),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((v, c) => v.padEnd(widths[c]!)).join("  ").trimEnd();
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ""];
  const maxLines = opts.evidenceLines ?? 5;
  for (const i of incidents) {
    out.push(`== ${i.id}  ${i.severity} ${i.rule} (${i.scope}) — ${i.subject}`);
    out.push(`   ${i.summary}`);
    if (i.suppressionId !== "") out.push(`   suppressed by ${i.suppressionId}: ${i.suppressionReason} (recorded, not notified)`);
    const details = Object.entries(i.details).filter(([, v]) => v !== "" && !(Array.isArray(v) && v.length === 0));
    for (const [k, v] of details) out.push(`   ${k}: ${clip(typeof v === "string" ? v : JSON.stringify(v), 200)}`);
    if (i.evidence.queue_ids.length > 0) out.push(`   queue ids: ${i.evidence.queue_ids.join(" ")}`);
    if (i.evidence.message_ids.length > 0) out.push(`   message-ids: ${i.evidence.message_ids.slice(0, 5).join(" ")}`);
    for (const l of i.evidence.sample_lines.slice(0, maxLines)) out.push(`   | ${clip(l.replace(/\n/g, " ⏎ "), 220)}`);
    if (i.status === "open") i.remediation.forEach((step, n) => out.push(`   ${n + 1}. ${step}`));
    out.push("");
  }
  return out.join("\n");
}
