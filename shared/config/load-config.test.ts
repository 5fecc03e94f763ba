import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "./config-error.js";
import { loadConfig, readConfigFile, type ConfigSources } from "./load-config.js";

const dir = mkdtempSync(join(tmpdir(), "spamtrace-load-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a config file into the test folder at table-definition time and returns its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const schema = z.strictObject({
  name: z.string().min(1).default("anon"),
  ratio: z.number().default(0.5),
  server: z
    .strictObject({
      port: z.number().int().min(1).max(65535).default(80),
      tls: z.boolean().default(false),
      tags: z.array(z.string()).default([]),
      mode: z.enum(["fast", "safe"]).default("safe"),
    })
    .prefault({}),
});

const DEFAULTS = { name: "anon", ratio: 0.5, server: { port: 80, tls: false, tags: [], mode: "safe" } };

const yamlFile = file("app.yaml", "name: from-yaml\nserver:\n  port: 8000\n  tags: [a, b]\n");
const jsonFile = file("app.json", JSON.stringify({ name: "from-json", server: { tls: true } }));
const emptyFile = file("empty.yaml", "");
const commentOnlyFile = file("comments.yaml", "# nothing set yet\n");
const listFile = file("list.yaml", "- name\n- port\n");
const scalarFile = file("scalar.yaml", "42\n");
const badYamlFile = file("bad.yaml", "a: b: c\n");
const badJsonFile = file("bad.json", '{"a": 1,,}\n');
const typoFile = file("typo.yaml", "server:\n  prot: 8000\n");
const missingFile = join(dir, "missing.yaml");
const dirAsFile = join(dir, "a-folder.yaml");
mkdirSync(dirAsFile);
const unreadableFile = file("unreadable.yaml", "name: secret\n");
chmodSync(unreadableFile, 0o000);
// root reads every file regardless of mode bits.
const isRoot = process.getuid?.() === 0;

type Sources = Omit<ConfigSources, "envPrefix">;

describe("loadConfig", () => {
  it.each<{ name: string; input: Sources; output: unknown }>([
    { name: "schema defaults when nothing is set", input: { env: {} }, output: DEFAULTS },
    {
      name: "environment: CONSTANT_CASE path with __ between levels, typed numbers/booleans/arrays",
      input: { env: { APP_SERVER__PORT: "9999", APP_SERVER__TLS: "true", APP_SERVER__TAGS: '["x","y"]', APP_RATIO: "-0.25" } },
      output: { ...DEFAULTS, ratio: -0.25, server: { port: 9999, tls: true, tags: ["x", "y"], mode: "safe" } },
    },
    {
      name: "environment: other text stays a string; variables without the prefix are ignored",
      input: { env: { APP_NAME: "web 1", APP_SERVER__MODE: "fast", OTHER_NAME: "nope", APP: "nope" } },
      output: { ...DEFAULTS, name: "web 1", server: { ...DEFAULTS.server, mode: "fast" } },
    },
    {
      name: "environment: a leading-zero number is not valid JSON and stays a string",
      input: { env: { APP_NAME: "007" } },
      output: { ...DEFAULTS, name: "007" },
    },
    {
      name: "YAML file over defaults",
      input: { file: yamlFile, env: {} },
      output: { ...DEFAULTS, name: "from-yaml", server: { ...DEFAULTS.server, port: 8000, tags: ["a", "b"] } },
    },
    {
      name: "JSON file over defaults",
      input: { file: jsonFile, env: {} },
      output: { ...DEFAULTS, name: "from-json", server: { ...DEFAULTS.server, tls: true } },
    },
    {
      name: "file > environment > defaults, merged key by key",
      input: { file: yamlFile, env: { APP_NAME: "from-env", APP_SERVER__PORT: "9999", APP_SERVER__TLS: "true", APP_RATIO: "2" } },
      output: { name: "from-yaml", ratio: 2, server: { port: 8000, tls: true, tags: ["a", "b"], mode: "safe" } },
    },
    {
      name: "overrides > file",
      input: { file: yamlFile, env: { APP_SERVER__PORT: "9999" }, overrides: { server: { port: 1234 }, name: undefined } },
      output: { ...DEFAULTS, name: "from-yaml", server: { ...DEFAULTS.server, port: 1234, tags: ["a", "b"] } },
    },
    { name: "empty file is an empty mapping", input: { file: emptyFile, env: {} }, output: DEFAULTS },
    { name: "comment-only file is an empty mapping", input: { file: commentOnlyFile, env: {} }, output: DEFAULTS },
  ])("$name", ({ input, output }) => {
    expect(loadConfig(schema, { ...input, envPrefix: "APP_" })).toEqual(output);
  });

  it.each<{ name: string; input: Sources; error: { message: string; key: string } }>([
    {
      name: "unknown top-level key",
      input: { env: {}, overrides: { nmae: "x" } },
      error: { message: "invalid config: unknown config key nmae", key: "nmae" },
    },
    {
      name: "unknown nested key names the dotted key",
      input: { env: {}, overrides: { server: { prot: 1 } } },
      error: { message: "invalid config: unknown config key server.prot", key: "server.prot" },
    },
    {
      name: "several unknown keys: all named, the first is the key",
      input: { env: {}, overrides: { server: { prot: 1, tsl: true } } },
      error: { message: "invalid config: unknown config key server.prot; unknown config key server.tsl", key: "server.prot" },
    },
    {
      name: "unknown key from the environment",
      input: { env: { APP_SERVER__HOST: "x" } },
      error: { message: "invalid config: unknown config key server.host", key: "server.host" },
    },
    {
      name: "unknown key in a file names the file",
      input: { file: typoFile, env: {} },
      error: { message: `invalid config: unknown config key server.prot (in ${typoFile} or the environment)`, key: "server.prot" },
    },
    {
      name: "below the minimum",
      input: { env: {}, overrides: { server: { port: 0 } } },
      error: { message: "invalid config: server.port 0 must be >= 1", key: "server.port" },
    },
    {
      name: "above the maximum",
      input: { env: { APP_SERVER__PORT: "65536" } },
      error: { message: "invalid config: server.port 65536 must be <= 65535", key: "server.port" },
    },
    {
      name: "wrong type: string for a number",
      input: { env: { APP_SERVER__PORT: "eighty" } },
      error: { message: 'invalid config: server.port "eighty" must be a number', key: "server.port" },
    },
    {
      name: "wrong type: number for a string",
      input: { env: {}, overrides: { name: 5 } },
      error: { message: "invalid config: name 5 must be a string", key: "name" },
    },
    {
      name: "wrong type: scalar for a section",
      input: { env: {}, overrides: { server: "x" } },
      error: { message: 'invalid config: server "x" must be a object', key: "server" },
    },
    {
      name: "wrong type inside an array",
      input: { env: { APP_SERVER__TAGS: '["a",2]' } },
      error: { message: "invalid config: server.tags.1 2 must be a string", key: "server.tags.1" },
    },
    {
      name: "enum value",
      input: { env: { APP_SERVER__MODE: "slow" } },
      error: { message: 'invalid config: server.mode "slow": Invalid option: expected one of "fast"|"safe"', key: "server.mode" },
    },
    {
      name: "unreadable file (missing)",
      input: { file: missingFile, env: {} },
      error: { message: `cannot read config file ${missingFile}: ENOENT: no such file or directory, open '${missingFile}'`, key: "" },
    },
    {
      name: "unreadable file (a folder)",
      input: { file: dirAsFile, env: {} },
      error: { message: `cannot read config file ${dirAsFile}: EISDIR: illegal operation on a directory, read`, key: "" },
    },
    {
      name: "file holding a list",
      input: { file: listFile, env: {} },
      error: { message: `config file ${listFile} must hold a mapping of keys to values`, key: "" },
    },
    {
      name: "file holding a scalar",
      input: { file: scalarFile, env: {} },
      error: { message: `config file ${scalarFile} must hold a mapping of keys to values`, key: "" },
    },
  ])("$name", ({ input, error }) => {
    const thrown = catchError(() => loadConfig(schema, { ...input, envPrefix: "APP_" }));
    expect(thrown).toBeInstanceOf(ConfigError);
    expect({ message: thrown.message, key: (thrown as ConfigError).key }).toEqual(error);
  });

  it.skipIf(isRoot)("names a file without read permission", () => {
    const thrown = catchError(() => loadConfig(schema, { file: unreadableFile, env: {}, envPrefix: "APP_" }));
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown.message).toBe(`cannot read config file ${unreadableFile}: EACCES: permission denied, open '${unreadableFile}'`);
  });

  it("reads process.env when no environment is passed", () => {
    process.env.SPAMTRACE_LOAD_CONFIG_TEST_NAME = "from-process-env";
    try {
      expect(loadConfig(schema, { envPrefix: "SPAMTRACE_LOAD_CONFIG_TEST_" }).name).toBe("from-process-env");
    } finally {
      delete process.env.SPAMTRACE_LOAD_CONFIG_TEST_NAME;
    }
  });
});

describe("readConfigFile", () => {
  it.each<{ name: string; input: string; output?: unknown; error?: string }>([
    { name: "YAML mapping", input: yamlFile, output: { name: "from-yaml", server: { port: 8000, tags: ["a", "b"] } } },
    { name: "JSON mapping", input: jsonFile, output: { name: "from-json", server: { tls: true } } },
    { name: "empty file", input: emptyFile, output: {} },
    { name: "list", input: listFile, error: `config file ${listFile} must hold a mapping of keys to values` },
    {
      name: "invalid YAML",
      input: badYamlFile,
      error: `config file ${badYamlFile} is not valid YAML/JSON: Nested mappings are not allowed in compact mappings at line 1, column 4:\n\na: b: c\n   ^\n`,
    },
    {
      name: "invalid JSON",
      input: badJsonFile,
      error: `config file ${badJsonFile} is not valid YAML/JSON: Unexpected , in flow map at line 1, column 9:\n\n{"a": 1,,}\n        ^\n`,
    },
  ])("$name", ({ input, output, error }) => {
    if (error === undefined) expect(readConfigFile(input)).toEqual(output);
    else expect(() => readConfigFile(input)).toThrow(new ConfigError(error, ""));
  });
});

describe("loadConfig paths", () => {
  const pathSchema = z.strictObject({
    store: z.strictObject({ dataDir: z.string(), url: z.string().optional() }),
    admin: z.strictObject({ tokenFile: z.string() }).prefault({ tokenFile: "var/admin.token" }),
    spool: z.strictObject({ dir: z.string() }).prefault({ dir: "spool" }),
    hooks: z.array(z.strictObject({ bearerTokenFile: z.string(), url: z.string() })).default([]),
    profile: z.string().default("x"),
  });
  const sub = join(dir, "etc");
  mkdirSync(sub, { recursive: true });
  const relFile = join(sub, "paths.yaml");
  writeFileSync(
    relFile,
    "store: { dataDir: ../data/ch, url: ./not-a-path }\nspool: { dir: /var/lib/spool }\nhooks: [{ bearerTokenFile: token, url: hook }]\nprofile: ./p\n",
  );

  it("takes relative paths in a file from the file's folder, leaves absolute paths, non-path keys and the environment alone", () => {
    const config = loadConfig(pathSchema, { file: relFile, envPrefix: "APP_", env: { APP_ADMIN__TOKEN_FILE: "rel/token" } });
    expect(config).toEqual({
      store: { dataDir: join(dir, "data/ch"), url: "./not-a-path" },
      admin: { tokenFile: "rel/token" },
      spool: { dir: "/var/lib/spool" },
      hooks: [{ bearerTokenFile: join(sub, "token"), url: "hook" }],
      profile: "./p",
    });
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error, got none");
}
