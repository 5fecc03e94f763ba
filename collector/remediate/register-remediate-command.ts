import type { Command } from "commander";
import type { AdminEndpoint } from "../admin/admin-client.js";
import type { StoreConfig } from "../store/open-store.js";
import type { SshConfig } from "../ssh/ssh-config.js";
import type { RemediateConfig } from "./remediate-config.js";

/** What the command reads of the collector config (cli.ts loads and validates it; config/ imports this folder's schema, so not its type). */
export interface RemediateCommandConfig {
  store: StoreConfig;
  admin: AdminEndpoint;
  ssh: SshConfig;
  remediate: RemediateConfig;
}

/** Exit status when a command of the plan failed (the rest did not run). */
export const EXIT_STEP_FAILED = 4;

/**
 * Adds `spamtrace remediate INCIDENT_ID`: prints (and stores) a numbered plan
 * of exact commands for the incident on its host; nothing runs.
 * `--apply PLAN_ID` runs exactly that stored plan over SSH and records every
 * command in `remediation_actions`; `--undo PLAN_ID` runs the undo of what
 * an apply did (postsuper -H, exim -Mt, chmod back).
 */
export function registerRemediateCommand(program: Command, deps: { loadConfig: (configFile: string | undefined) => Promise<RemediateCommandConfig> }): Command {
  return program
    .command("remediate")
    .description("print the clean-up plan of an incident as exact commands; --apply PLAN_ID runs that plan over SSH and records each command")
    .argument("<incidentId>", "incident id (spamtrace incidents)")
    .option("--config <file>", "collector config file (store, ssh, remediate sections)")
    .option("--host <hostId>", "which of a fleet incident's hosts (default: the incident's host)")
    .option("--delete", "delete the culprit's queued messages instead of holding them")
    .option("--apply <planId>", "run exactly this printed plan")
    .option("--undo <planId>", "undo what --apply of this plan did (release held / thaw frozen messages, restore a script's mode)")
    .option("--json", "print the plan (or the run) as JSON")
    .action(async (incidentId: string, opts: { config?: string; host?: string; delete?: boolean; apply?: string; undo?: string; json?: boolean }) => {
      const config = await deps.loadConfig(opts.config);
      const { planRemediation, runStoredPlan, RemediateError } = await import("./remediate.js");
      const { formatPlan } = await import("./build-plan.js");
      const { formatApplyReport } = await import("./format-apply-report.js");
      const { ledgerIo } = await import("./ledger-io.js");
      const io = await ledgerIo(config);
      try {
        const common = { io: io.io, database: config.store.database, ssh: config.ssh, remediate: config.remediate };
        if (opts.apply && opts.undo) throw new RemediateError("--apply and --undo exclude each other");
        const planId = opts.apply ?? opts.undo;
        if (planId === undefined) {
          const plan = await planRemediation(common, incidentId, { ...(opts.host ? { host: opts.host } : {}), queueAction: opts.delete ? "delete" : "hold" });
          process.stdout.write(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
          return;
        }
        const { plan, report } = await runStoredPlan(common, incidentId, planId, opts.apply ? "apply" : "undo");
        if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else process.stdout.write(formatApplyReport(incidentId, plan, report, opts.apply ? "apply" : "undo"));
        if (report.failedStep !== undefined) process.exitCode = EXIT_STEP_FAILED;
      } catch (error) {
        if (error instanceof RemediateError) {
          process.stderr.write(`spamtrace remediate: ${error.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw error;
      } finally {
        await io.close();
      }
    });
}
