// Stand-alone `parse-log` command for the benchmark until collector/cli.ts registers it:
// `npx tsx bench/parse-log-cli.ts parse-log [--mta M] FILE...`
import { Command } from "commander";
import { registerParseLogCommand } from "../collector/parse-log/register-parse-log-command.js";
import { runCli } from "../shared/cli/run-cli.js";

const program = new Command("spamtrace");
registerParseLogCommand(program);
await runCli(program);
