import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { Row } from "../store/clickhouse/store.js";
import { fromAlertRow, incidentsSql, newestVersions } from "./alerts-table.js";
import { formatIncidents } from "./format-incidents.js";
import { incidentToJson } from "./incident-json.js";

/** The part of the collector config the command reads itself. */
interface StoreDatabase {
  store: { database: string };
}

/** How the command reaches the store: the collector config and `spamtrace sql`'s path (direct, or the running collector's admin endpoint in embedded mode), given by cli.ts. */
export interface IncidentsCommandDeps<C extends StoreDatabase> {
  loadConfig: (configFile: string | undefined) => C | Promise<C>;
  query: (config: C, sql: string) => Promise<Row[]>;
  /** The detection rules' names, to check --rule against (loaded when the command runs); without it any name is accepted. */
  ruleNames?: () => Promise<readonly string[]>;
}

/**
 * Adds `spamtrace incidents`: open incidents with their evidence as a
 * terminal table, or `--json` as a JSON array (rule, severity, hosts,
 * subject, first_seen, last_seen, evidence, remediation, ...).
 */
export function registerIncidentsCommand<C extends StoreDatabase>(program: Command, deps: IncidentsCommandDeps<C>): Command {
  const { loadConfig: load, query } = deps;
  return program
    .command("incidents")
    .description("list open incidents (compromised accounts, open relays, direct-to-MX senders, ...) with evidence and next steps")
    .option("--config <file>", "collector config file (to find the store or the running collector)")
    .option("--json", "print a JSON array")
    .option("--all", "include resolved incidents")
    .option("--rule <rule>", "only this rule (compromised-account, open-relay, ...: see collector/detect/README.md)")
    .option("--limit <n>", "most incidents listed, newest activity first", parseLimit, 200)
    .action(async function (this: Command, opts: { config?: string; json?: boolean; all?: boolean; rule?: string; limit: number }) {
      if (opts.rule !== undefined && deps.ruleNames) {
        const names = await deps.ruleNames();
        // The same words and exit status as commander's own argument errors.
        if (!names.includes(opts.rule)) this.error(`error: option '--rule <rule>' argument '${opts.rule}' is invalid. --rule ${opts.rule} must be one of ${names.join(", ")}`, { code: "commander.invalidArgument" });
      }
      const config = await load(opts.config);
      const sql = incidentsSql(config.store.database, { ...(opts.all ? {} : { status: "open" as const }), ...(opts.rule ? { rule: opts.rule } : {}), limit: opts.limit });
      const incidents = newestVersions((await query(config, sql)).map(fromAlertRow)).sort((a, b) => b.lastSeenMs - a.lastSeenMs);
      process.stdout.write(opts.json ? `${JSON.stringify(incidents.map(incidentToJson), null, 2)}\n` : formatIncidents(incidents));
    });
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError(`--limit ${value} must be an integer in 1..100000`);
  return n;
}
