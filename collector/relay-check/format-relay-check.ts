import type { RelayCheckResult } from "./relay-check.js";

/** Terminal report: one block per target with its verdict and the server's replies. */
export function formatRelayCheckResults(results: readonly RelayCheckResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const where = r.address.includes(":") ? `[${r.address}]:${r.port}` : `${r.address}:${r.port}`;
    out.push(`${r.target} (${where}): ${r.verdict.toUpperCase()}${r.verdict === "open" ? ` — accepted ${r.acceptedRecipients.join(", ")}` : ""}${r.error ? ` — ${r.error}` : ""}`);
    for (const t of r.transcript) {
      if (t.command) out.push(`  > ${t.command}`);
      for (const line of t.reply.split("\n")) out.push(`  < ${line}`);
    }
  }
  const open = results.filter((r) => r.verdict === "open").length;
  const errors = results.filter((r) => r.verdict === "error").length;
  out.push(`${results.length} checked: ${open} open, ${results.length - open - errors} closed, ${errors} undecided`);
  return out.join("\n") + "\n";
}
