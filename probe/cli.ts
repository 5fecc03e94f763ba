import { Command, InvalidArgumentError } from "commander";
import { formatTable } from "../shared/cli/format-table.js";
import { runCli, waitForShutdownSignal } from "../shared/cli/run-cli.js";
import { DEFAULT_SMTP_PORTS, type SocketRecord } from "../shared/types/socket-record.js";
import { SPAMTRACE_VERSION } from "../shared/version.js";
import { openSocketSource } from "./collect/sockets/open-socket-source.js";
import { loadProbeConfig } from "./config/probe-config.js";
import { runProbe } from "./run.js";

const program = new Command("spamtrace-probe")
  .description("spamtrace probe: watches SMTP sockets, the MTA queue and logs, and streams them to the collector")
  .version(SPAMTRACE_VERSION);

program
  .command("snapshot")
  .description("print the SMTP socket table: lsof -Pni tcp:25,465,587 plus each process's exe and cwd")
  .option("--once", "print one snapshot and exit (default: one per second until interrupted)")
  .option("--json", "print JSON (an array of sockets per snapshot) instead of a table")
  .option("--source <source>", "proc (read /proc) or lsof (parse lsof -F)", parseSource, "proc")
  .option("--ports <list>", "comma-separated TCP ports", parsePorts, [...DEFAULT_SMTP_PORTS])
  .action(async (opts: { once?: boolean; json?: boolean; source: "proc" | "lsof"; ports: number[] }) => {
    const read = openSocketSource(opts.source, opts.ports);
    for (;;) {
      const records = await read();
      process.stdout.write(opts.json ? `${JSON.stringify(records, null, 2)}\n` : formatSocketTable(records));
      if (opts.once) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

program
  .command("run")
  .description("run the probe: sample, spool and stream to the collector until SIGINT/SIGTERM")
  .option("--config <file>", "YAML/JSON config file (see docs/configuration.md)")
  .action(async (opts: { config?: string }) => {
    const probe = await runProbe(loadProbeConfig(opts.config));
    await waitForShutdownSignal();
    await probe.stop();
  });

function parseSource(value: string): "proc" | "lsof" {
  if (value !== "proc" && value !== "lsof") throw new InvalidArgumentError(`--source ${value} must be proc or lsof`);
  return value;
}

function parsePorts(value: string): number[] {
  const ports = value.split(",").map((p) => Number(p.trim()));
  for (const port of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`--ports ${value}: each port must be an integer in 1..65535`);
  }
  return ports;
}

function formatSocketTable(records: readonly SocketRecord[]): string {
  const header = ["COMMAND", "PID", "USER", "STATE", "DIR", "LOCAL", "REMOTE", "EXE", "CWD"];
  const rows = records.map((r) => [
    r.comm ?? "?",
    r.pid === null ? "?" : String(r.pid),
    r.user ?? (r.uid === null ? "?" : String(r.uid)),
    r.state,
    r.direction,
    `${r.local_address}:${r.local_port}`,
    `${r.remote_address}:${r.remote_port}`,
    `${r.exe ?? "?"}${r.exe_deleted ? " (deleted)" : ""}`,
    r.cwd ?? "?",
  ]);
  return formatTable(header, rows);
}

await runCli(program);
