import { parseArgs } from "node:util";
import { ConfigError } from "../../shared/config/config-error.js";
import { PROBE_MTA_KIND_SETTINGS } from "../../shared/mta/mta-kinds.js";
import { DEFAULT_SMTP_PORTS } from "../../shared/types/socket-record.js";

// The probe parses its command line with node:util's parseArgs (Node >= 18.3)
// rather than a CLI framework: commander 14 declares Node >= 20, and the
// probe bundle must run on Node 18 (Debian 12, RHEL 9) and stay small.

type ProbeMtaKindSetting = (typeof PROBE_MTA_KIND_SETTINGS)[number];

/** What the command line asks the probe to do. */
export type ProbeCommand =
  | { command: "help"; text: string }
  | { command: "version" }
  | { command: "snapshot"; once: boolean; json: boolean; source: "proc" | "lsof"; ports: number[] }
  | { command: "inspect"; json: boolean; source: "proc" | "lsof"; ports: number[]; mta: { kind: ProbeMtaKindSetting; binaryPaths: string[]; commandEnv: Record<string, string> } }
  | { command: "run"; config: string | undefined };

/** The probe's usage text (`spamtrace-probe --help`). */
export const PROBE_USAGE = `Usage: spamtrace-probe <command> [options]

spamtrace probe: watches SMTP sockets, the MTA queue and logs, and streams them to the collector

Commands:
  snapshot [--once] [--json] [--source proc|lsof] [--ports 25,465,587]
      print the SMTP socket table: lsof -Pni tcp:25,465,587 plus each process's exe and cwd
      --once     print one snapshot and exit (default: one per second until interrupted)
      --json     print JSON (an array of sockets per snapshot) instead of a table
      --source   proc (read /proc, default) or lsof (parse lsof -F)
      --ports    comma-separated TCP ports (default: ${DEFAULT_SMTP_PORTS.join(",")})
  inspect [--json] [--source proc|lsof] [--ports 25,465,587] [--mta-kind KIND] [--mta-binary PATH]... [--mta-env NAME=VALUE]...
      look once at this host: the SMTP sockets, the MTA (kind, version, binaries, logs, queue path) and a queue snapshot
      --json       print one JSON object (what \`spamtrace scan\` reads over SSH)
      --mta-kind   auto (default) or the MTA to use, as mta.kind
      --mta-binary an extra executable of the MTA, as mta.binaryPaths (repeatable)
      --mta-env    environment for the MTA's commands, as mta.commandEnv, e.g. MAIL_CONFIG=/etc/postfix-out (repeatable)
  run [--config FILE]
      run the probe: sample, spool and stream to the collector until SIGINT/SIGTERM
      --config   YAML/JSON config file (see docs/configuration.md)

Options:
  -V, --version  print the version
  -h, --help     print this help
`;

/** Bad arguments exit like a bad config (status 2), naming the flag. */
function usageError(message: string, flag: string): ConfigError {
  return new ConfigError(`${message} (see spamtrace-probe --help)`, flag);
}

/** Parses the arguments after `node spamtrace-probe.cjs`; throws a ConfigError naming the bad flag. */
export function parseProbeArgs(argv: readonly string[]): ProbeCommand {
  const [first, ...rest] = argv;
  if (first === "-V" || first === "--version") return { command: "version" };
  if (first === undefined || first === "-h" || first === "--help" || first === "help") return { command: "help", text: PROBE_USAGE };
  if (rest.includes("-h") || rest.includes("--help")) return { command: "help", text: PROBE_USAGE };
  if (first === "snapshot") {
    const { values } = parseStrict(rest, {
      once: { type: "boolean" },
      json: { type: "boolean" },
      source: { type: "string" },
      ports: { type: "string" },
    });
    return {
      command: "snapshot",
      once: values.once === true,
      json: values.json === true,
      source: parseSource(values.source),
      ports: values.ports === undefined ? [...DEFAULT_SMTP_PORTS] : parsePorts(values.ports),
    };
  }
  if (first === "inspect") {
    const { values } = parseStrict(rest, {
      json: { type: "boolean" },
      source: { type: "string" },
      ports: { type: "string" },
      "mta-kind": { type: "string" },
      "mta-binary": { type: "string", multiple: true },
      "mta-env": { type: "string", multiple: true },
    });
    return {
      command: "inspect",
      json: values.json === true,
      source: parseSource(values.source),
      ports: values.ports === undefined ? [...DEFAULT_SMTP_PORTS] : parsePorts(values.ports),
      mta: { kind: parseMtaKind(values["mta-kind"]), binaryPaths: parseBinaries(values["mta-binary"]), commandEnv: parseEnv(values["mta-env"]) },
    };
  }
  if (first === "run") {
    const { values } = parseStrict(rest, { config: { type: "string" } });
    return { command: "run", config: values.config };
  }
  throw usageError(`unknown command ${first}`, first);
}

type Options = Record<string, { type: "boolean" | "string"; multiple?: boolean }>;

function parseStrict<T extends Options>(args: readonly string[], options: T): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    // parseArgs quotes the offending flag or argument first ("Unknown option '--x'. To specify...",
    // "Option '--ports <value>' argument missing"); the advice after the first sentence is dropped.
    const message = (error as Error).message.split(". ")[0]!;
    const flag = /'([^' ]+)/.exec(message)?.[1] ?? "";
    throw usageError(message, flag);
  }
}

function parseSource(value: string | undefined): "proc" | "lsof" {
  if (value === undefined) return "proc";
  if (value !== "proc" && value !== "lsof") throw usageError(`--source ${value} must be proc or lsof`, "--source");
  return value;
}

function parsePorts(value: string): number[] {
  const ports = value.split(",").map((p) => Number(p.trim()));
  for (const port of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw usageError(`--ports ${value}: each port must be an integer in 1..65535`, "--ports");
  }
  return ports;
}

function parseMtaKind(value: string | undefined): ProbeMtaKindSetting {
  if (value === undefined) return "auto";
  const kind = PROBE_MTA_KIND_SETTINGS.find((k) => k === value);
  if (kind === undefined) throw usageError(`--mta-kind ${value} must be one of ${PROBE_MTA_KIND_SETTINGS.join(", ")}`, "--mta-kind");
  return kind;
}

function parseBinaries(values: readonly string[] | undefined): string[] {
  for (const path of values ?? []) if (!path.startsWith("/")) throw usageError(`--mta-binary ${path} must be an absolute path`, "--mta-binary");
  return [...(values ?? [])];
}

function parseEnv(values: readonly string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of values ?? []) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/s.exec(pair);
    if (m === null) throw usageError(`--mta-env ${pair} must be NAME=VALUE with an upper-case NAME`, "--mta-env");
    env[m[1]!] = m[2]!;
  }
  return env;
}
