import { type Command, Option } from "commander";
import { MTA_SELECTIONS, type MtaSelection } from "../../shared/mta/mta-kinds.js";
import { parseLogFilesInWorker } from "./parse-log-in-worker.js";

/** Adds `parse-log [--mta auto|postfix|exim|sendmail|qmail] FILE...` to a commander program; it prints the JSON report to stdout. */
export function registerParseLogCommand(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  return program
    .command("parse-log")
    .description("parse MTA log files (plain or gzip) and print totals per sender identity as JSON")
    .addOption(new Option("--mta <mta>", "MTA that wrote the logs").choices(MTA_SELECTIONS).default("auto"))
    .argument("<files...>", "log files, in order (oldest rotation first)")
    .action(async (files: string[], opts: { mta: MtaSelection }) => {
      const report = await parseLogFilesInWorker({ mta: opts.mta, files });
      write(`${JSON.stringify(report, null, 2)}\n`);
    });
}
