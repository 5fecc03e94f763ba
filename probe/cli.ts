import { formatTable } from "../shared/cli/format-table.js";
import { runMain, waitForShutdownSignal } from "../shared/cli/run-cli.js";
import type { SocketRecord } from "../shared/types/socket-record.js";
import { SPAMTRACE_VERSION } from "../shared/version.js";
import { formatInspection, inspectHost } from "./cli/inspect-host.js";
import { parseProbeArgs } from "./cli/parse-probe-args.js";
import { openSocketSource } from "./collect/sockets/open-socket-source.js";
import { loadProbeConfig } from "./config/probe-config.js";
import { runProbe } from "./run.js";

// No top-level await: the bundle (`npm run build`) is CommonJS so it runs as a
// lone file on Node 18 whatever package.json sits above it.

async function main(argv: readonly string[]): Promise<void> {
  const command = parseProbeArgs(argv);
  switch (command.command) {
    case "version":
      process.stdout.write(`${SPAMTRACE_VERSION}\n`);
      return;
    case "help":
      process.stdout.write(command.text);
      return;
    case "snapshot": {
      const read = openSocketSource(command.source, command.ports);
      for (;;) {
        const records = await read();
        process.stdout.write(command.json ? `${JSON.stringify(records, null, 2)}\n` : formatSocketTable(records));
        if (command.once) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    case "inspect": {
      const inspection = await inspectHost(command);
      process.stdout.write(command.json ? `${JSON.stringify(inspection)}\n` : `${formatInspection(inspection)}\n${formatSocketTable(inspection.sockets)}`);
      return;
    }
    case "run": {
      const probe = await runProbe(loadProbeConfig(command.config));
      await waitForShutdownSignal();
      await probe.stop();
      return;
    }
  }
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

void runMain("spamtrace-probe", () => main(process.argv.slice(2)));
