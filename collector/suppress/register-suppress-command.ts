import type { Command } from "commander";
import type { AdminEndpoint } from "../admin/admin-client.js";
import type { Row } from "../store/clickhouse/store.js";
import type { StoreConfig } from "../store/open-store.js";
// suppression.js is imported where it is used: it loads zod (15 MB of RSS), which no other command but
// the ones reading the collector config needs (`spamtrace parse-log` ran at 57 MB before it ever read a line).
import type { Suppression, SuppressionConfigEntry, SuppressionScope } from "./suppression.js";
import type { SuppressionIo } from "./suppressions-table.js";

/** What the command reads of the collector config (cli.ts loads and validates it). */
export interface SuppressCommandConfig {
  store: StoreConfig;
  admin: AdminEndpoint;
  suppressions: readonly SuppressionConfigEntry[];
}

/** How the command reaches the store and the rule names (given by cli.ts). */
export interface SuppressCommandDeps<C extends SuppressCommandConfig> {
  loadConfig: (configFile: string | undefined) => Promise<C>;
  /** Read-only queries the way `spamtrace sql` runs them (the store, or the running collector in embedded mode). */
  query: (config: C, sql: string) => Promise<Row[]>;
  ruleNames: () => Promise<readonly string[]>;
  now?: () => number;
}

/**
 * Adds `spamtrace suppress list|add|remove`: the abuse team's suppressions in
 * the `suppressions` table (collector config ones are listed, read-only).
 * A suppressed finding is still stored as an incident, marked with the
 * suppression's id and reason, and not notified (docs/suppressions.md).
 */
export function registerSuppressCommand<C extends SuppressCommandConfig>(program: Command, deps: SuppressCommandDeps<C>): Command {
  const now = deps.now ?? Date.now;
  const suppress = program.command("suppress").description("suppressions: known NAT ranges, newsletter accounts, application servers (recorded, not notified)");
  suppress
    .command("list")
    .description("list current suppressions (table and collector config)")
    .option("--config <file>", "collector config file")
    .option("--all", "include expired ones")
    .option("--json", "print a JSON array")
    .action(async (opts: { config?: string; all?: boolean; json?: boolean }) => {
      const config = await deps.loadConfig(opts.config);
      const { readSuppressions } = await import("./suppressions-table.js");
      const { configSuppressions } = await import("./suppression.js");
      const nowMs = now();
      const table = await readSuppressions({ query: (sql) => deps.query(config, sql) }, config.store.database, opts.all ? {} : { activeAtMs: nowMs });
      const all = [...configSuppressions(config.suppressions).filter((s) => opts.all || s.expiresAtMs > nowMs), ...table];
      process.stdout.write(opts.json ? `${JSON.stringify(all.map(suppressionJson), null, 2)}\n` : formatSuppressions(all, nowMs));
    });
  suppress
    .command("add")
    .description("add a suppression to the table")
    .requiredOption("--rule <rule>", 'rule it silences (compromised-account, ...) or "*" for every rule')
    .option("--host <hostId>", "scope: findings of this host")
    .option("--identity <name>", "scope: findings naming this account, sender address or script path")
    .option("--cidr <cidr>", "scope: findings whose client addresses all lie in this range (an address alone is /32, /128)")
    .requiredOption("--expires <when>", "an ISO date or date-time (UTC unless a zone is given), or a duration: 90m, 12h, 30d, 4w")
    .requiredOption("--reason <text>", "why (shown on every suppressed incident)")
    .option("--by <name>", "who adds it", process.env.SUDO_USER ?? process.env.USER ?? "")
    .option("--config <file>", "collector config file")
    .action(async function (this: Command, opts: { rule: string; host?: string; identity?: string; cidr?: string; expires: string; reason: string; by: string; config?: string }) {
      const scopes = (["host", "identity", "cidr"] as const).filter((s) => opts[s] !== undefined);
      if (scopes.length !== 1) this.error("error: give exactly one of --host, --identity, --cidr", { code: "commander.invalidArgument" });
      const names = await deps.ruleNames();
      if (opts.rule !== "*" && !names.includes(opts.rule)) this.error(`error: --rule ${opts.rule} must be "*" or one of ${names.join(", ")}`, { code: "commander.invalidArgument" });
      if (opts.reason.trim().length < 3) this.error("error: --reason must say why (3 characters at least)", { code: "commander.invalidArgument" });
      const scope: SuppressionScope = scopes[0]!;
      const { checkSuppressionValue, parseExpiry } = await import("./suppression.js");
      const nowMs = now();
      const checked = <T>(f: () => T, option: string): T => {
        try {
          return f();
        } catch (error) {
          return this.error(`error: ${option}: ${(error as Error).message}`, { code: "commander.invalidArgument" });
        }
      };
      const value = checked(() => checkSuppressionValue(scope, opts[scope]!), `--${scope}`);
      const expiresAtMs = checked(() => parseExpiry(opts.expires, nowMs), "--expires");
      if (expiresAtMs <= nowMs) this.error(`error: --expires ${opts.expires} is in the past`, { code: "commander.invalidArgument" });
      const config = await deps.loadConfig(opts.config);
      const { newSuppressionId, toSuppressionRow } = await import("./suppressions-table.js");
      const s: Suppression = { id: newSuppressionId(), rule: opts.rule, scope, value, reason: opts.reason.trim(), expiresAtMs, source: "table", createdBy: opts.by, createdAtMs: nowMs };
      await withIo(config, deps, (io) => io.insert("suppressions", [toSuppressionRow(s, false, nowMs)]));
      process.stdout.write(`${s.id}\n`);
    });
  suppress
    .command("remove")
    .description("end a table suppression now")
    .argument("<id>", "the suppression's id (sup-...)")
    .option("--config <file>", "collector config file")
    .action(async function (this: Command, id: string, opts: { config?: string }) {
      if (id.startsWith("cfg:")) this.error(`error: ${id} lives in the collector config (suppressions[${id.slice(4)}]): edit the file and restart`, { code: "commander.invalidArgument" });
      if (!/^sup-[0-9a-f]{8}$/.test(id)) this.error(`error: ${id} is not a suppression id (sup- and 8 hex digits)`, { code: "commander.invalidArgument" });
      const config = await deps.loadConfig(opts.config);
      const { removeSuppression } = await import("./suppressions-table.js");
      const removed = await withIo(config, deps, (io) => removeSuppression(io, config.store.database, id, now()));
      if (!removed) this.error(`error: no current suppression ${id}`, { code: "spamtrace.notFound", exitCode: 1 });
      process.stdout.write(`removed ${id}\n`);
    });
  return suppress;
}

/** Writes through the store when it is a server, through the running collector's admin endpoint for the embedded engine. */
async function withIo<C extends SuppressCommandConfig, T>(config: C, deps: SuppressCommandDeps<C>, use: (io: SuppressionIo) => Promise<T>): Promise<T> {
  if (config.store.url !== undefined) {
    const { migrateStore, openStore } = await import("../store/open-store.js");
    const store = await openStore(config.store);
    try {
      await migrateStore(store, config.store);
      return await use({ query: (sql) => store.query(sql), insert: (table, rows) => store.insert(table, rows) });
    } finally {
      await store.close();
    }
  }
  const { postToCollector } = await import("../admin/admin-client.js");
  return use({ query: (sql) => deps.query(config, sql), insert: async (_table, rows) => void (await postToCollector(config, "/api/suppressions", { rows })) });
}

function suppressionJson(s: Suppression): Record<string, unknown> {
  return { id: s.id, source: s.source, rule: s.rule, scope: s.scope, value: s.value, reason: s.reason, expires: new Date(s.expiresAtMs).toISOString(), created_by: s.createdBy, created_at: s.createdAtMs ? new Date(s.createdAtMs).toISOString() : "" };
}

/** A terminal table of suppressions. */
export function formatSuppressions(list: readonly Suppression[], nowMs: number): string {
  if (list.length === 0) return "no suppressions\n";
  const rows = list.map((s) => [s.id, s.rule, s.scope, s.value, `${new Date(s.expiresAtMs).toISOString().slice(0, 16).replace("T", " ")}${s.expiresAtMs <= nowMs ? " (expired)" : ""}`, s.reason]);
  const head = ["ID", "RULE", "SCOPE", "VALUE", "EXPIRES (UTC)", "REASON"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return `${[line(head), ...rows.map(line)].join("\n")}\n`;
}
