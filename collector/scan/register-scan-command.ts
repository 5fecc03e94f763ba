import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { AlertConfig } from "../alert/alert-config.js";
import type { DetectConfig } from "../detect/detect-config.js";
import type { SshConfig } from "../ssh/ssh-config.js";
import type { StoreConfig } from "../store/open-store.js";

/** What the command reads of the collector config (cli.ts loads and validates it). */
export interface ScanCommandConfig {
  collectorId: string;
  store: StoreConfig;
  ssh: SshConfig;
  detect: DetectConfig;
  alert: AlertConfig;
}

/** Exit status when a host could not be scanned (the others were). */
export const EXIT_HOST_FAILED = 1;
/** Exit status when a rule fired on a scanned host. */
export const EXIT_FINDINGS = 3;

// The probe bundle beside the CLI bundle (dist/cli.js), or dist/ of a checkout when run from the sources.
function defaultProbeBundle(): string | undefined {
  return [new URL("./spamtrace-probe.cjs", import.meta.url), new URL("../../dist/spamtrace-probe.cjs", import.meta.url)].map((u) => fileURLToPath(u)).find((p) => existsSync(p));
}

/**
 * Adds `spamtrace scan --inventory FILE`: reaches hosts without a probe over
 * SSH, runs the probe's socket collection there, stores it under the
 * inventory name (marked as a scan) and runs the rules; prints a summary
 * table (a progress line on a terminal meanwhile). It writes the store
 * itself, as the collector does: with the embedded engine, not while the
 * collector holds its folder.
 */
export function registerScanCommand(program: Command, deps: { loadConfig: (configFile: string | undefined) => Promise<ScanCommandConfig> }): Command {
  return program
    .command("scan")
    .description("scan hosts without a probe over SSH (the probe's socket collection run there), store the result and run the rules")
    .requiredOption("--inventory <file>", "Ansible inventory (YAML or INI) or a plain list of hosts")
    .option("--config <file>", "collector config file (store, ssh, detect sections)")
    .option("--probe-bundle <file>", "the probe bundle sent to each host (default: dist/spamtrace-probe.cjs)")
    .option("--concurrency <n>", "hosts scanned at once", parseCount, 8)
    .option("--timeout-ms <ms>", "longest time for one host, ms", parseCount, 60_000)
    .option("--log-minutes <n>", "minutes of MTA log read per host and turned into windows (0: none)", parseMinutes, 10)
    .option("--json", "print the rows as JSON")
    .action(async (opts: { inventory: string; config?: string; probeBundle?: string; concurrency: number; timeoutMs: number; logMinutes: number; json?: boolean }) => {
      const config = await deps.loadConfig(opts.config);
      const probeBundle = opts.probeBundle ?? defaultProbeBundle();
      if (!probeBundle) throw new InvalidArgumentError("no probe bundle found: run `npm run build` or give --probe-bundle");
      const { readFile } = await import("node:fs/promises");
      const { parseInventory } = await import("./inventory.js");
      const { formatScanSummary, runScan } = await import("./run-scan.js");
      const { migrateStore, openStore } = await import("../store/open-store.js");
      const inventory = parseInventory(await readFile(opts.inventory, "utf8"));
      const store = await openStore(config.store);
      try {
        await migrateStore(store, config.store);
        const tty = process.stderr.isTTY;
        const { rows } = await runScan({
          store,
          inventory,
          ssh: config.ssh,
          probeBundle,
          concurrency: opts.concurrency,
          timeoutMs: opts.timeoutMs,
          logMinutes: opts.logMinutes,
          collectorId: config.collectorId,
          detect: config.detect,
          alert: config.alert,
          onHost: (row, done, total) => {
            if (tty) process.stderr.write(`\r\x1b[K[${"#".repeat(Math.round((done / total) * 20)).padEnd(20)}] ${done}/${total} ${row.name} ${row.outcome}${done === total ? "\n" : ""}`);
          },
        });
        process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : formatScanSummary(rows));
        if (rows.some((r) => r.findings.length > 0)) process.exitCode = EXIT_FINDINGS;
        else if (rows.some((r) => r.outcome === "failed")) process.exitCode = EXIT_HOST_FAILED;
      } finally {
        await store.close();
      }
    });
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000_000) throw new InvalidArgumentError(`${value} must be a positive integer`);
  return n;
}

function parseMinutes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 10_080) throw new InvalidArgumentError(`--log-minutes ${value} must be an integer in 0..10080`);
  return n;
}
