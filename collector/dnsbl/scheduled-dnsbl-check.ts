import type { Logger } from "../../shared/log/logger.js";
import type { Claims } from "../incidents/claim.js";
import type { ClickHouseStore } from "../store/clickhouse/store.js";
import type { DnsblConfig } from "./dnsbl-config.js";
import { DnsblLookup } from "./dnsbl-lookup.js";
import { runDnsblCheck, type DnsblRunReport } from "./run-dnsbl-check.js";

/** The collector's DNSBL checker: on demand (admin endpoint) and, when enabled, every dnsbl.schedule.intervalMinutes. */
export interface DnsblChecker {
  /** Checks now (the fleet's addresses, or `addresses`) and stores the answers. */
  runNow(trigger: "schedule" | "command", addresses?: readonly string[]): Promise<DnsblRunReport>;
  stop(): Promise<void>;
}

/**
 * Starts the DNSBL checker of a collector. One answer cache serves every run
 * (answers are reused for their TTL); with several collectors, each scheduled
 * interval is claimed so one collector runs it. The answers land in
 * `dnsbl_checks`, where the `blacklisted` rule finds listings on its next run.
 */
export function startDnsblChecker(opts: { store: ClickHouseStore; config: DnsblConfig; collectorId: string; claims?: Claims; logger?: Logger; firstRunDelayMs?: number }): DnsblChecker {
  const lookup = new DnsblLookup(opts.config);
  const intervalMs = opts.config.schedule.intervalMinutes * 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const runNow = async (trigger: "schedule" | "command", addresses?: readonly string[]): Promise<DnsblRunReport> => {
    const report = await runDnsblCheck({ store: opts.store, config: opts.config, lookup, collectorId: opts.collectorId, trigger, ...(addresses ? { addresses } : {}) });
    const by = (o: string): number => report.results.filter((r) => r.outcome === o).length;
    opts.logger?.info({ run_id: report.runId, trigger, addresses: report.addresses, zones: report.zones, listed: by("listed"), errors: by("error") }, "dnsbl check");
    for (const r of report.results) if (r.outcome !== "not_listed") opts.logger?.warn({ address: r.address, zone: r.zone, outcome: r.outcome, codes: r.codes, meanings: r.meanings, error: r.error }, `dnsbl ${r.outcome}`);
    return report;
  };

  const scheduled = async (): Promise<void> => {
    const bucket = Math.floor(Date.now() / intervalMs);
    if (opts.claims && !(await opts.claims.claim([`dnsbl:${bucket}`])).has(`dnsbl:${bucket}`)) return;
    await runNow("schedule");
  };
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = scheduled()
        .catch((error: unknown) => opts.logger?.error({ err: (error as Error).message }, "scheduled dnsbl check failed"))
        .finally(() => schedule(intervalMs));
    }, delayMs);
    timer.unref();
  };
  if (opts.config.schedule.enabled && opts.config.zones.length > 0) schedule(opts.firstRunDelayMs ?? 15_000);

  return {
    runNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      lookup.cancel();
    },
  };
}

/** Checks a POST /api/dnsbl body: {"addresses"?: ["IP", ...]}; throws a TypeError naming what is wrong. */
export function checkDnsblRequest(body: unknown): { addresses?: string[] } {
  const { addresses } = (body ?? {}) as { addresses?: unknown };
  if (addresses === undefined) return {};
  if (!Array.isArray(addresses) || !addresses.every((a) => typeof a === "string")) throw new TypeError('body must be {"addresses"?: ["IP", ...]}');
  return { addresses };
}
