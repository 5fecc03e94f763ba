import { Command, InvalidArgumentError } from "commander";
import { runCli, waitForShutdownSignal } from "../shared/cli/run-cli.js";
import { SPAMTRACE_VERSION } from "../shared/version.js";
import type { CollectorConfig } from "./config/collector-config.js";
import { registerDnsblCommand } from "./dnsbl/register-dnsbl-command.js";
import { registerIncidentsCommand } from "./incidents/register-incidents-command.js";
import { registerComplaintCommand } from "./complaint/register-complaint-command.js";
import { registerRemediateCommand } from "./remediate/register-remediate-command.js";
import { registerScanCommand } from "./scan/register-scan-command.js";
import { registerParseLogCommand } from "./parse-log/register-parse-log-command.js";
import { registerRelayCheckCommand } from "./relay-check/register-relay-check-command.js";
import { registerSuppressCommand } from "./suppress/register-suppress-command.js";

// Commands import their heavy modules (config schema, ClickHouse engine, gRPC,
// forge) when they run, so `spamtrace parse-log` starts fast.

/** Loads and validates the collector config (the zod schema pulls in every section's module). */
/** Names the config file when --config is not given, so `spamtrace sql` etc. find the collector from any folder. */
const CONFIG_FILE_ENV = "SPAMTRACE_CONFIG";

async function loadCollectorConfig(file: string | undefined): Promise<CollectorConfig> {
  const fromEnv = process.env[CONFIG_FILE_ENV];
  return (await import("./config/collector-config.js")).loadCollectorConfig(file ?? (fromEnv === "" ? undefined : fromEnv));
}

const program = new Command("spamtrace")
  .description("spamtrace: finds where spam leaves your servers (collector, analyst and admin commands)")
  .version(SPAMTRACE_VERSION);

program
  .command("serve")
  .description("run the collector: receive probe streams over gRPC (mTLS) and store them in ClickHouse")
  .option("--config <file>", "YAML/JSON config file (see docs/configuration.md)")
  .action(async (opts: { config?: string }) => {
    const config = await loadCollectorConfig(opts.config);
    const { serveCollector } = await import("./serve.js");
    const { moduleLogger } = await import("../shared/log/logger.js");
    const collector = await serveCollector(config);
    const signal = await waitForShutdownSignal();
    moduleLogger("collector").info({ signal }, "shutting down");
    await collector.close();
  });

program
  .command("sql")
  .description("run one read-only query against the configured store and print the rows")
  .argument("<query>", "SELECT / SHOW / DESCRIBE ... statement")
  .option("--config <file>", "collector config file (to find the store or the running collector)")
  .option("--json", "print rows as JSON lines")
  .action(async (query: string, opts: { config?: string; json?: boolean }) => {
    const config = await loadCollectorConfig(opts.config);
    const { formatRows, runSql } = await import("./query/run-sql.js");
    const rows = await runSql(config, query);
    process.stdout.write(opts.json ? rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "") : formatRows(rows));
  });

const certs = program.command("certs").description("private CA and certificates for probe<->collector mTLS");
certs
  .command("init")
  .description("make a CA, the collector certificate and one client certificate per probe (reuses an existing CA)")
  .option("--dir <dir>", "folder for the certificates and keys", "var/certs")
  .option("--probe <hostId...>", "host id of a probe to issue a client certificate for (repeatable)", [])
  .option("--server-name <name...>", "extra DNS name or IP for the collector certificate (repeatable)", [])
  .option("--days <n>", "validity in days", parseDays)
  .option("--force", "make a new CA and reissue every certificate in the folder")
  .action(async (opts: { dir: string; probe: string[]; serverName: string[]; days?: number; force?: boolean }) => {
    const { certsInit } = await import("./certs/certs-init.js");
    const written = await certsInit({
      dir: opts.dir,
      probeHostIds: opts.probe,
      serverNames: opts.serverName,
      ...(opts.days === undefined ? {} : { days: opts.days }),
      force: opts.force ?? false,
    });
    process.stdout.write(written.length ? `wrote:\n${written.map((p) => `  ${p}`).join("\n")}\n` : "nothing to do: every certificate already exists\n");
  });

function parseDays(value: string): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 36500) throw new InvalidArgumentError(`--days ${value} must be an integer in 1..36500`);
  return days;
}

registerParseLogCommand(program);
// The config schema and the store clients (ClickHouse engine) load only when the command runs, as for the other commands.
registerIncidentsCommand(program, {
  loadConfig: loadCollectorConfig,
  query: async (config, sql) => (await import("./query/run-sql.js")).runSql(config, sql),
  ruleNames: async () => (await import("./detect/rule-catalog.js")).RULE_NAMES,
});
registerSuppressCommand(program, {
  loadConfig: loadCollectorConfig,
  query: async (config, sql) => (await import("./query/run-sql.js")).runSql(config, sql),
  ruleNames: async () => (await import("./detect/rule-catalog.js")).RULE_NAMES,
});
registerComplaintCommand(program, {
  loadConfig: loadCollectorConfig,
  query: async (config, sql) => (await import("./query/run-sql.js")).runSql(config, sql),
});
registerRelayCheckCommand(program, { loadRelayCheckConfig: async (file) => (await loadCollectorConfig(file)).relayCheck });
registerDnsblCommand(program, { loadConfig: loadCollectorConfig });
registerRemediateCommand(program, { loadConfig: loadCollectorConfig });
registerScanCommand(program, { loadConfig: loadCollectorConfig });

await runCli(program);
