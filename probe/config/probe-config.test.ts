import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../shared/config/config-error.js";
import { loadProbeConfig, type ProbeConfig } from "./probe-config.js";

const dir = mkdtempSync(join(tmpdir(), "spamtrace-probe-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const DEFAULTS: ProbeConfig = {
  collector: {
    address: "127.0.0.1:7443",
    certsDir: "var/certs",
    keepaliveMs: 15_000,
    insecure: false,
    maxInFlight: 16,
    reconnectMinMs: 500,
    reconnectMaxMs: 30_000,
  },
  sockets: { ports: [25, 465, 587], source: "proc", sampleIntervalMs: 50, snapshotIntervalMs: 10_000 },
  mta: { kind: "auto", binaryPaths: [], names: [], commandEnv: {}, windowMs: 60_000, logFlushIntervalMs: 2_000, logStartAt: "end", queueIntervalMs: 60_000, queueCheckIntervalMs: 5_000, relayPolicyIntervalMs: 300_000 },
  scripts: {},
  spool: { dir: "var/spool", maxBytes: 256 * 1024 * 1024 },
  metrics: { host: "127.0.0.1", port: 7445 },
};

const yamlFile = file("probe.yaml", "hostId: web1\ncollector:\n  address: collector.example.net:7443\nsockets:\n  ports: [25, 2525]\n  source: lsof\n");
const jsonFile = file("probe.json", JSON.stringify({ spool: { maxBytes: 1048576 }, metrics: { port: -1 } }));
const emptyFile = file("empty.yml", "");
const scalarFile = file("scalar.yml", "just text\n");

type Input = { file?: string; overrides?: Record<string, unknown>; env?: NodeJS.ProcessEnv };

describe("loadProbeConfig", () => {
  it.each<{ name: string; input: Input; output: ProbeConfig }>([
    { name: "defaults", input: {}, output: DEFAULTS },
    {
      name: "environment: JSON array, number, boolean, string",
      input: {
        env: {
          SPAMTRACE_PROBE_SOCKETS__PORTS: "[25, 2525]",
          SPAMTRACE_PROBE_SPOOL__MAX_BYTES: "2097152",
          SPAMTRACE_PROBE_COLLECTOR__INSECURE: "false",
          SPAMTRACE_PROBE_HOST_ID: "web1.example.com",
        },
      },
      output: {
        ...DEFAULTS,
        hostId: "web1.example.com",
        sockets: { ...DEFAULTS.sockets, ports: [25, 2525] },
        spool: { ...DEFAULTS.spool, maxBytes: 2_097_152 },
      },
    },
    {
      name: "YAML file",
      input: { file: yamlFile },
      output: {
        ...DEFAULTS,
        hostId: "web1",
        collector: { ...DEFAULTS.collector, address: "collector.example.net:7443" },
        sockets: { ...DEFAULTS.sockets, ports: [25, 2525], source: "lsof" },
      },
    },
    {
      name: "JSON file",
      input: { file: jsonFile },
      output: { ...DEFAULTS, spool: { ...DEFAULTS.spool, maxBytes: 1_048_576 }, metrics: { ...DEFAULTS.metrics, port: -1 } },
    },
    { name: "empty file", input: { file: emptyFile }, output: DEFAULTS },
    {
      name: "several collectors",
      input: { overrides: { collector: { address: ["c1.example.net:7443", "c2.example.net:7443"] } } },
      output: { ...DEFAULTS, collector: { ...DEFAULTS.collector, address: ["c1.example.net:7443", "c2.example.net:7443"] } },
    },
    {
      name: "file > environment: arrays are replaced, not merged",
      input: { file: yamlFile, env: { SPAMTRACE_PROBE_SOCKETS__PORTS: "[587]", SPAMTRACE_PROBE_SOCKETS__SAMPLE_INTERVAL_MS: "250" } },
      output: {
        ...DEFAULTS,
        hostId: "web1",
        collector: { ...DEFAULTS.collector, address: "collector.example.net:7443" },
        sockets: { ...DEFAULTS.sockets, ports: [25, 2525], source: "lsof", sampleIntervalMs: 250 },
      },
    },
  ])("$name", ({ input, output }) => {
    expect(loadProbeConfig(input.file, input.overrides, input.env ?? {})).toEqual(output);
  });

  it.each<{ name: string; input: Input; error: { message: string; key: string } }>([
    {
      name: "spool bound below the minimum",
      input: { overrides: { spool: { maxBytes: 1 } } },
      error: { message: "invalid config: spool.maxBytes 1 must be >= 1048576", key: "spool.maxBytes" },
    },
    {
      name: "unknown nested key",
      input: { env: { SPAMTRACE_PROBE_SOCKETS__PORT: "25" } },
      error: { message: "invalid config: unknown config key sockets.port", key: "sockets.port" },
    },
    {
      name: "port 0 in the port list",
      input: { env: { SPAMTRACE_PROBE_SOCKETS__PORTS: "[25, 0]" } },
      error: { message: "invalid config: sockets.ports.1 0 must be >= 1", key: "sockets.ports.1" },
    },
    {
      name: "empty port list",
      input: { overrides: { sockets: { ports: [] } } },
      error: { message: "invalid config: sockets.ports [] must list at least 1", key: "sockets.ports" },
    },
    {
      name: "port list of the wrong type",
      input: { env: { SPAMTRACE_PROBE_SOCKETS__PORTS: "25,465" } },
      error: { message: 'invalid config: sockets.ports "25,465" must be an array', key: "sockets.ports" },
    },
    {
      name: "unknown socket source",
      input: { overrides: { sockets: { source: "netstat" } } },
      error: { message: 'invalid config: sockets.source "netstat" must be one of "proc" | "lsof"', key: "sockets.source" },
    },
    {
      name: "collector address without a port",
      input: { overrides: { collector: { address: "collector.example.net" } } },
      error: { message: 'invalid config: collector.address "collector.example.net": must be host:port', key: "collector.address" },
    },
    {
      name: "a collector in the list without a port",
      input: { overrides: { collector: { address: ["c1.example.net:7443", "c2.example.net"] } } },
      error: { message: 'invalid config: collector.address.1 "c2.example.net": must be host:port', key: "collector.address.1" },
    },
    {
      name: "host id starting with a dash",
      input: { overrides: { hostId: "-web1" } },
      error: {
        message: 'invalid config: hostId "-web1": must match /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/',
        key: "hostId",
      },
    },
    {
      name: "reconnect delays the wrong way round (a rule across two keys)",
      input: { overrides: { collector: { reconnectMinMs: 5000, reconnectMaxMs: 1000 } } },
      error: { message: "invalid config: collector.reconnectMinMs 5000: reconnectMinMs must be <= reconnectMaxMs", key: "collector.reconnectMinMs" },
    },
    {
      name: "a fraction where an integer is due",
      input: { env: { SPAMTRACE_PROBE_MTA__WINDOW_MS: "1500.5" } },
      error: { message: "invalid config: mta.windowMs 1500.5 must be an integer", key: "mta.windowMs" },
    },
    {
      name: "a port above 65535 in the list",
      input: { overrides: { sockets: { ports: [25, 70000] } } },
      error: { message: "invalid config: sockets.ports.1 70000 must be <= 65535", key: "sockets.ports.1" },
    },
    {
      name: "an empty spool folder",
      input: { overrides: { spool: { dir: "" } } },
      error: { message: "invalid config: spool.dir must not be empty", key: "spool.dir" },
    },
    {
      name: "a command environment name that is not one",
      input: { overrides: { mta: { commandEnv: { "mail-config": "/etc/postfix-out" } } } },
      error: { message: 'invalid config: mta.commandEnv.mail-config "/etc/postfix-out": must be an environment variable name', key: "mta.commandEnv.mail-config" },
    },
    {
      name: "file that is not a mapping",
      input: { file: scalarFile },
      error: { message: `config file ${scalarFile} must hold a mapping of keys to values`, key: "" },
    },
  ])("$name", ({ input, error }) => {
    let thrown: unknown;
    try {
      loadProbeConfig(input.file, input.overrides, input.env ?? {});
    } catch (caught) {
      thrown = caught;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect({ message: (thrown as ConfigError).message, key: (thrown as ConfigError).key }).toEqual(error);
  });
});
