import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { Row } from "../store/clickhouse/store.js";

interface StoreDatabase {
  store: { database: string };
}

/** How the command reaches the store (cli.ts gives `spamtrace sql`'s path). */
export interface ComplaintCommandDeps<C extends StoreDatabase> {
  loadConfig: (configFile: string | undefined) => C | Promise<C>;
  query: (config: C, sql: string) => Promise<Row[]>;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseHours(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 24 * 365) throw new InvalidArgumentError(`--around-hours ${value} must be a number in (0, 8760]`);
  return n;
}

/**
 * Adds `spamtrace complaint [FILE.eml]`: reads a complained-about message
 * (or an ARF / feedback-loop report carrying it; "-" or no file: standard
 * input), finds the fleet host and hop in its Received: chain, decides
 * origin / relay / not-ours, names the account, local user or script from
 * the headers and the `messages` table, and lists that identity's incidents.
 */
export function registerComplaintCommand<C extends StoreDatabase>(program: Command, deps: ComplaintCommandDeps<C>): Command {
  return program
    .command("complaint")
    .argument("[file]", "the complaint (.eml, or an ARF report); '-' or none: standard input")
    .description("trace a complaint e-mail (or ARF report) to the fleet host, account, local user or script that sent it")
    .option("--config <file>", "collector config file (to find the store or the running collector)")
    .option("--json", "print the stable JSON shape (docs/analyst-queries.md)")
    .option("--around-hours <n>", "incidents of the identity within this many hours of the message", parseHours, 24)
    .action(async (file: string | undefined, opts: { config?: string; json?: boolean; aroundHours: number }) => {
      const raw = file === undefined || file === "-" ? await readStdin() : await readFile(file).catch((error: unknown) => {
        throw new Error(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
      });
      const { readComplaint } = await import("./read-complaint.js");
      const { buildComplaintReport, formatComplaintReport } = await import("./complaint-report.js");
      const complaint = await readComplaint(raw);
      const config = await deps.loadConfig(opts.config);
      const report = await buildComplaintReport(complaint, (sql) => deps.query(config, sql), config.store.database, opts.aroundHours * 3_600_000);
      process.stdout.write(opts.json ? `${JSON.stringify(report.json, null, 2)}\n` : formatComplaintReport(report));
    });
}
