import type { Command } from "commander";
import { ConfigError } from "../../shared/config/config-error.js";
import { formatRelayCheckResults } from "./format-relay-check.js";
import type { RelayCheckConfig } from "./relay-check-config.js";

/** Exit status when at least one target is an open relay. */
export const EXIT_OPEN_RELAY = 3;

/**
 * Adds `spamtrace relay-check HOST[:PORT]...`: the opt-in active open-relay
 * check (EHLO, MAIL FROM, RCPT TO outside domains, never DATA, RSET, QUIT)
 * against fleet hosts only. Exit status 0 when every target is closed,
 * 3 when one is open, 1 when a check could not decide, 2 for a target
 * outside relayCheck.allowedTargets or bad config.
 */
export function registerRelayCheckCommand(program: Command, deps: { loadRelayCheckConfig: (configFile: string | undefined) => RelayCheckConfig | Promise<RelayCheckConfig> }): Command {
  return program
    .command("relay-check")
    .description("actively check whether fleet SMTP servers relay for outside domains (EHLO, MAIL FROM, RCPT TO, never DATA, RSET, QUIT)")
    .argument("<target...>", "HOST[:PORT] (default port relayCheck.port); must be in relayCheck.allowedTargets")
    .option("--config <file>", "collector config file (relayCheck section)")
    .option("--json", "print the results as a JSON array")
    .option("--local-address <ip>", "connect from this local address (must be outside the targets' trusted networks)")
    .action(async (targets: string[], opts: { config?: string; json?: boolean; localAddress?: string }) => {
      const loaded = await deps.loadRelayCheckConfig(opts.config);
      // Loaded when the command runs: `spamtrace parse-log` should not pay for DNS and SMTP modules.
      const { RelayCheckRefused, runRelayChecks } = await import("./relay-check.js");
      const config = opts.localAddress === undefined ? loaded : { ...loaded, localAddress: opts.localAddress };
      let results;
      try {
        results = await runRelayChecks(targets, config);
      } catch (error) {
        if (error instanceof RelayCheckRefused || error instanceof RangeError) throw new ConfigError(error.message, "relayCheck.allowedTargets");
        throw error;
      }
      process.stdout.write(opts.json ? `${JSON.stringify(results, null, 2)}\n` : formatRelayCheckResults(results));
      if (results.some((r) => r.verdict === "open")) process.exitCode = EXIT_OPEN_RELAY;
      else if (results.some((r) => r.verdict === "error")) process.exitCode = 1;
    });
}
