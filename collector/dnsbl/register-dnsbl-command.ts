import type { Command } from "commander";
import type { AdminEndpoint } from "../admin/admin-client.js";
import type { StoreConfig } from "../store/open-store.js";
import type { DnsblConfig } from "./dnsbl-config.js";
import type { DnsblRunReport } from "./run-dnsbl-check.js";

/** What the command reads of the collector config (cli.ts loads and validates it; config/ imports this folder's schema, so not its type). */
export interface DnsblCommandConfig {
  collectorId: string;
  store: StoreConfig;
  admin: AdminEndpoint;
  dnsbl: DnsblConfig;
}

/** Exit status when an address is listed. */
export const EXIT_LISTED = 3;

/**
 * Adds `spamtrace dnsbl [--address IP...]`: checks the fleet's outbound
 * addresses (or the given ones) against dnsbl.zones now, stores the answers
 * in `dnsbl_checks` (the `blacklisted` rule raises incidents from them on its
 * next run) and prints them. Against a ClickHouse server it runs here; in
 * embedded mode the running collector runs it (its admin endpoint), since only
 * that process may write the engine's folder. Exit status 3 when an address
 * is listed, 1 when a query failed (and nothing is listed), else 0.
 */
export function registerDnsblCommand(program: Command, deps: { loadConfig: (configFile: string | undefined) => Promise<DnsblCommandConfig> }): Command {
  return program
    .command("dnsbl")
    .description("check the fleet's outbound addresses against the configured DNSBL zones now, store and print the answers")
    .option("--config <file>", "collector config file (dnsbl section, store)")
    .option("--address <ip...>", "check these addresses instead of the fleet's")
    .option("--json", "print the run as JSON")
    .action(async (opts: { config?: string; address?: string[]; json?: boolean }) => {
      const config = await deps.loadConfig(opts.config);
      const report = config.store.url !== undefined ? await runHere(config, opts.address) : await runInCollector(config, opts.address);
      const { formatDnsblReport } = await import("./format-dnsbl-results.js");
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatDnsblReport(report));
      if (report.results.some((r) => r.outcome === "listed")) process.exitCode = EXIT_LISTED;
      else if (report.results.some((r) => r.outcome === "error")) process.exitCode = 1;
    });
}

async function runHere(config: DnsblCommandConfig, addresses: string[] | undefined): Promise<DnsblRunReport> {
  const { migrateStore, openStore } = await import("../store/open-store.js");
  const { DnsblLookup } = await import("./dnsbl-lookup.js");
  const { runDnsblCheck } = await import("./run-dnsbl-check.js");
  const store = await openStore(config.store);
  try {
    await migrateStore(store, config.store);
    return await runDnsblCheck({ store, config: config.dnsbl, lookup: new DnsblLookup(config.dnsbl), collectorId: config.collectorId, trigger: "command", ...(addresses ? { addresses } : {}) });
  } finally {
    await store.close();
  }
}

async function runInCollector(config: DnsblCommandConfig, addresses: string[] | undefined): Promise<DnsblRunReport> {
  const { postToCollector } = await import("../admin/admin-client.js");
  return postToCollector<DnsblRunReport>(config, "/api/dnsbl", addresses ? { addresses } : {});
}
