import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../shared/config/config-error.js";
import { alertConfigSchema, loadCollectorConfig, type CollectorConfig } from "./collector-config.js";
import { detectConfigSchema } from "../detect/detect-config.js";
import { RULE_NAMES } from "../detect/rule-catalog.js";
import { relayCheckConfigSchema } from "../relay-check/relay-check-config.js";

const dir = mkdtempSync(join(tmpdir(), "spamtrace-collector-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const DEFAULTS: CollectorConfig = {
  collectorId: hostname(),
  grpc: { host: "0.0.0.0", port: 7443, certsDir: "var/certs", insecure: false, revokedCertificates: [] },
  admin: { host: "127.0.0.1", port: 7444, tokenFile: "var/admin.token", query: { maxExecutionTimeMs: 20_000, maxMemoryBytes: 1024 ** 3 } },
  store: { username: "default", database: "spamtrace", dataDir: "var/clickhouse", requestTimeoutMs: 30_000, insertMaxRows: 50_000, insertIntervalMs: 200, retentionDays: 180, messageRetentionDays: 30 },
  limits: { maxMessageBytes: 8 * 1024 * 1024, maxSocketsPerBatch: 50_000, maxStringChars: 4096, maxStreams: 10_000, streamRowsPerSecond: 5_000, streamBurstRows: 200_000, maxClockSkewMs: 600_000 },
  detect: detectConfigSchema.parse({}),
  alert: alertConfigSchema.parse({}),
  relayCheck: relayCheckConfigSchema.parse({}),
  dnsbl: { zones: [], servers: [], timeoutMs: 3000, tries: 2, concurrency: 8, negativeCacheSeconds: 900, socketLookbackMinutes: 1440, includePrivate: false, schedule: { enabled: false, intervalMinutes: 360 } },
  ssh: { user: "root", port: 22, knownHostsFile: join(homedir(), ".ssh", "known_hosts"), timeoutMs: 20_000, hosts: {} },
  remediate: { evidenceDir: "/var/lib/spamtrace/evidence", maxQueueMessages: 10_000 },
  suppressions: [],
};

const yamlFile = file(
  "collector.yaml",
  ["collectorId: c1", "grpc:", "  port: 8000", "  insecure: true", "store:", "  url: http://ch.internal:8123", "  retentionDays: 30", ""].join("\n"),
);
const jsonFile = file("collector.json", JSON.stringify({ admin: { port: 0 }, limits: { maxSocketsPerBatch: 10 } }));
const emptyFile = file("empty.yaml", "");
const typoFile = file("typo.yaml", "grpc:\n  prot: 8000\n");
const listFile = file("list.yaml", "[1, 2]\n");
const missingFile = join(dir, "missing.yaml");

type Input = { file?: string; overrides?: Record<string, unknown>; env?: NodeJS.ProcessEnv };

describe("loadCollectorConfig", () => {
  it.each<{ name: string; input: Input; output: CollectorConfig }>([
    { name: "defaults", input: {}, output: DEFAULTS },
    {
      name: "environment overrides defaults, typed",
      input: {
        env: {
          SPAMTRACE_COLLECTOR_GRPC__PORT: "9999",
          SPAMTRACE_COLLECTOR_GRPC__INSECURE: "true",
          SPAMTRACE_COLLECTOR_STORE__RETENTION_DAYS: "7",
          SPAMTRACE_COLLECTOR_COLLECTOR_ID: "col-a",
          SPAMTRACE_PROBE_SPOOL__DIR: "ignored: other prefix",
        },
      },
      output: {
        ...DEFAULTS,
        collectorId: "col-a",
        grpc: { ...DEFAULTS.grpc, port: 9999, insecure: true },
        store: { ...DEFAULTS.store, retentionDays: 7 },
      },
    },
    {
      name: "YAML file",
      input: { file: yamlFile },
      output: {
        ...DEFAULTS,
        collectorId: "c1",
        grpc: { ...DEFAULTS.grpc, port: 8000, insecure: true },
        store: { ...DEFAULTS.store, url: "http://ch.internal:8123", retentionDays: 30 },
      },
    },
    {
      name: "JSON file",
      input: { file: jsonFile },
      output: { ...DEFAULTS, admin: { ...DEFAULTS.admin, port: 0 }, limits: { ...DEFAULTS.limits, maxSocketsPerBatch: 10 } },
    },
    { name: "empty file", input: { file: emptyFile }, output: DEFAULTS },
    {
      name: "a cluster: local database defaults later (store.database + _local), not replicated unless asked",
      input: { overrides: { store: { url: "http://ch-1:8123", cluster: { name: "spamtrace", nodes: ["http://ch-1:8123", "http://ch-2:8123"] } } } },
      output: { ...DEFAULTS, store: { ...DEFAULTS.store, url: "http://ch-1:8123", cluster: { name: "spamtrace", nodes: ["http://ch-1:8123", "http://ch-2:8123"], replicated: false } } },
    },
    {
      name: "analyst query limits from the environment; embedded store, so no bound from store.requestTimeoutMs",
      input: { env: { SPAMTRACE_COLLECTOR_ADMIN__QUERY__MAX_EXECUTION_TIME_MS: "120000", SPAMTRACE_COLLECTOR_ADMIN__QUERY__MAX_MEMORY_BYTES: "268435456" } },
      output: { ...DEFAULTS, admin: { ...DEFAULTS.admin, query: { maxExecutionTimeMs: 120_000, maxMemoryBytes: 268_435_456 } } },
    },
    {
      name: "file > environment > defaults",
      input: {
        file: yamlFile,
        env: { SPAMTRACE_COLLECTOR_GRPC__PORT: "9999", SPAMTRACE_COLLECTOR_GRPC__HOST: "127.0.0.1", SPAMTRACE_COLLECTOR_STORE__RETENTION_DAYS: "7" },
      },
      output: {
        ...DEFAULTS,
        collectorId: "c1",
        grpc: { ...DEFAULTS.grpc, host: "127.0.0.1", port: 8000, insecure: true },
        store: { ...DEFAULTS.store, url: "http://ch.internal:8123", retentionDays: 30 },
      },
    },
    {
      name: "flags > file",
      input: { file: yamlFile, overrides: { grpc: { port: 1 } } },
      output: {
        ...DEFAULTS,
        collectorId: "c1",
        grpc: { ...DEFAULTS.grpc, port: 1, insecure: true },
        store: { ...DEFAULTS.store, url: "http://ch.internal:8123", retentionDays: 30 },
      },
    },
  ])("$name", ({ input, output }) => {
    expect(loadCollectorConfig(input.file, input.overrides, input.env ?? {})).toEqual(output);
  });

  it.each<{ name: string; input: Input; error: { message: string; key: string } }>([
    {
      name: "a suppression with a bad CIDR",
      input: { overrides: { suppressions: [{ rule: "compromised-account", scope: "cidr", value: "203.0.113.0/33", expires: "2099-01-01", reason: "office NAT" }] } },
      error: { message: 'invalid config: suppressions.0.value "203.0.113.0/33": must be an IP address or CIDR (203.0.113.0/24, 2001:db8::/48)', key: "suppressions.0.value" },
    },
    {
      name: "a suppression with a duration for expiry",
      input: { overrides: { suppressions: [{ rule: "*", scope: "host", value: "web1", expires: "30d", reason: "app server" }] } },
      error: { message: 'invalid config: suppressions.0.expires "30d": must be a date in the config (a duration would move at every restart)', key: "suppressions.0.expires" },
    },
    {
      name: "a suppression of an unknown rule",
      input: { overrides: { suppressions: [{ rule: "spam", scope: "host", value: "web1", expires: "2099-01-01", reason: "app server" }] } },
      error: { message: `invalid config: suppressions.0.rule "spam": Invalid option: expected one of ${["*", ...RULE_NAMES].map((n) => `"${n}"`).join("|")}`, key: "suppressions.0.rule" },
    },
    {
      name: "unknown nested key",
      input: { overrides: { grpc: { prot: 1 } } },
      error: { message: "invalid config: unknown config key grpc.prot", key: "grpc.prot" },
    },
    {
      name: "unknown top-level key",
      input: { overrides: { stroe: {} } },
      error: { message: "invalid config: unknown config key stroe", key: "stroe" },
    },
    {
      name: "unknown key in a file",
      input: { file: typoFile },
      error: { message: `invalid config: unknown config key grpc.prot (in ${typoFile} or the environment)`, key: "grpc.prot" },
    },
    {
      name: "unknown key from the environment",
      input: { env: { SPAMTRACE_COLLECTOR_STORE__RETENTION: "7" } },
      error: { message: "invalid config: unknown config key store.retention", key: "store.retention" },
    },
    {
      name: "retention below its minimum",
      input: { overrides: { store: { retentionDays: 0 } } },
      error: { message: "invalid config: store.retentionDays 0 must be >= 1", key: "store.retentionDays" },
    },
    {
      name: "port above its maximum, from the environment",
      input: { env: { SPAMTRACE_COLLECTOR_GRPC__PORT: "70000" } },
      error: { message: "invalid config: grpc.port 70000 must be <= 65535", key: "grpc.port" },
    },
    {
      name: "port of the wrong type",
      input: { env: { SPAMTRACE_COLLECTOR_GRPC__PORT: "http" } },
      error: { message: 'invalid config: grpc.port "http" must be a number', key: "grpc.port" },
    },
    {
      name: "boolean of the wrong type",
      input: { env: { SPAMTRACE_COLLECTOR_GRPC__INSECURE: "yes" } },
      error: { message: 'invalid config: grpc.insecure "yes" must be a boolean', key: "grpc.insecure" },
    },
    {
      name: "fractional port",
      input: { overrides: { admin: { port: 80.5 } } },
      error: { message: "invalid config: admin.port 80.5 must be a int", key: "admin.port" },
    },
    {
      name: "store URL that is not http(s)",
      input: { overrides: { store: { url: "ftp://ch.internal" } } },
      error: { message: 'invalid config: store.url "ftp://ch.internal": Invalid URL', key: "store.url" },
    },
    {
      name: "database name that is not an identifier",
      input: { overrides: { store: { database: "spam-trace" } } },
      error: {
        message: 'invalid config: store.database "spam-trace": Invalid string: must match pattern /^[A-Za-z_][A-Za-z0-9_]{0,63}$/',
        key: "store.database",
      },
    },
    {
      name: "message size below its minimum",
      input: { overrides: { limits: { maxMessageBytes: 1024 } } },
      error: { message: "invalid config: limits.maxMessageBytes 1024 must be >= 65536", key: "limits.maxMessageBytes" },
    },
    {
      name: "analyst query time limit below a second",
      input: { overrides: { admin: { query: { maxExecutionTimeMs: 500 } } } },
      error: { message: "invalid config: admin.query.maxExecutionTimeMs 500 must be >= 1000", key: "admin.query.maxExecutionTimeMs" },
    },
    {
      name: "analyst query memory limit of the wrong type, from the environment",
      input: { env: { SPAMTRACE_COLLECTOR_ADMIN__QUERY__MAX_MEMORY_BYTES: "1G" } },
      error: { message: 'invalid config: admin.query.maxMemoryBytes "1G" must be a number', key: "admin.query.maxMemoryBytes" },
    },
    {
      name: "analyst query time limit the server request would outlive",
      input: { overrides: { store: { url: "http://ch.internal:8123", requestTimeoutMs: 10_000 } } },
      error: {
        message:
          "invalid config: admin.query.maxExecutionTimeMs: 20000 ms must be below store.requestTimeoutMs (10000 ms) when store.url is set, or the HTTP request times out before the query limit stops the query",
        key: "admin.query.maxExecutionTimeMs",
      },
    },
    {
      name: "DNSBL resolver given as a host name",
      input: { overrides: { dnsbl: { servers: ["dns.google"] } } },
      error: { message: 'invalid config: dnsbl.servers.0 "dns.google": must be an IP address, IPv4:PORT or [IPv6]:PORT (a resolver, not a host name)', key: "dnsbl.servers.0" },
    },
    {
      name: "DNSBL zone that is not a zone name",
      input: { overrides: { dnsbl: { zones: ["zen spamhaus"] } } },
      error: { message: 'invalid config: dnsbl.zones.0 "zen spamhaus": must be a DNS zone name (zen.spamhaus.org)', key: "dnsbl.zones.0" },
    },
    {
      name: "a cluster without a server URL",
      input: { overrides: { store: { cluster: { name: "spamtrace", nodes: ["http://ch-1:8123"] } } } },
      error: {
        message: "invalid config: store.url: is required with store.cluster: a server of the cluster, or a load balancer in front of them (the embedded engine is one node)",
        key: "store.url",
      },
    },
    {
      name: "a cluster with no nodes",
      input: { overrides: { store: { url: "http://ch-1:8123", cluster: { name: "spamtrace", nodes: [] } } } },
      error: { message: "invalid config: store.cluster.nodes [] must be >= 1", key: "store.cluster.nodes" },
    },
    {
      name: "missing file",
      input: { file: missingFile },
      error: { message: `cannot read config file ${missingFile}: ENOENT: no such file or directory, open '${missingFile}'`, key: "" },
    },
    {
      name: "file that is not a mapping",
      input: { file: listFile },
      error: { message: `config file ${listFile} must hold a mapping of keys to values`, key: "" },
    },
  ])("$name", ({ input, error }) => {
    let thrown: unknown;
    try {
      loadCollectorConfig(input.file, input.overrides, input.env ?? {});
    } catch (caught) {
      thrown = caught;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect({ message: (thrown as ConfigError).message, key: (thrown as ConfigError).key }).toEqual(error);
  });
});
