import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { ConfigError } from "./config-error.js";
import { formatConfigIssue, issueKey } from "./format-config-issue.js";

/** Where a process's configuration comes from. */
export interface ConfigSources {
  /** Path of a YAML or JSON file; optional. */
  file?: string | undefined;
  /** Environment to read overrides from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Environment variable prefix, e.g. "SPAMTRACE_PROBE_". */
  envPrefix: string;
  /** Values set by command-line flags; they win over the file. */
  overrides?: Record<string, unknown>;
}

/** The outcome of validating a merged configuration: the typed value, or the first problem as a sentence and its key. */
export type ConfigCheckResult<T> = { ok: true; value: T } | { ok: false; message: string; key: string };

/** Validates a merged configuration (a schema of any validator, see loadConfig and the probe's valibot schema). */
export type ConfigCheck<T> = (merged: Record<string, unknown>) => ConfigCheckResult<T>;

/**
 * Loads, merges and validates one process's configuration.
 * Precedence: command-line overrides > file > environment > schema defaults.
 * Environment names are the prefix plus the key path in CONSTANT_CASE with
 * `__` between levels (`SPAMTRACE_COLLECTOR_STORE__URL`).
 * Relative paths in the file (keys named `dir`, `file` or ending in `Dir`,
 * `File`) are taken relative to the file's folder, so a command finds the same
 * files from any working folder; from the environment they stay relative to it.
 * Throws ConfigError naming the first bad key; unknown keys are errors.
 */
export function loadConfigWith<T>(check: ConfigCheck<T>, sources: ConfigSources): T {
  const fromEnv = readEnv(sources.env ?? process.env, sources.envPrefix);
  const fromFile = sources.file === undefined ? {} : resolveFilePaths(readConfigFile(sources.file), dirname(resolve(sources.file)));
  const merged = deepMerge(deepMerge(fromEnv, fromFile), sources.overrides ?? {});
  const result = check(merged);
  if (result.ok) return result.value;
  const where = sources.file === undefined ? "" : ` (in ${sources.file} or the environment)`;
  throw new ConfigError(`invalid config: ${result.message}${where}`, result.key);
}

/** loadConfigWith for a zod schema (the collector's processes). */
export function loadConfig<Schema extends z.ZodType>(schema: Schema, sources: ConfigSources): z.output<Schema> {
  return loadConfigWith((merged): ConfigCheckResult<z.output<Schema>> => {
    const result = schema.safeParse(merged);
    if (result.success) return { ok: true, value: result.data };
    const issue = result.error.issues[0]!;
    // An unknown key's issue sits on its parent object; the offending key is the (first) unknown one.
    const keyPath = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue.path;
    return { ok: false, message: formatConfigIssue(issue, merged), key: issueKey(keyPath) };
  }, sources);
}

/** Reads a YAML/JSON config file into a plain object; errors name the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, "");
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML/JSON: ${(error as Error).message}`, "");
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a mapping of keys to values`, "");
  }
  return parsed as Record<string, unknown>;
}

function readEnv(env: NodeJS.ProcessEnv, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const path = name.slice(prefix.length).split("__").map(camelCase);
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      node = (typeof next === "object" && next !== null ? next : (node[part] = {})) as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = parseEnvValue(raw);
  }
  return out;
}

function camelCase(constant: string): string {
  return constant.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

// Numbers, booleans and JSON arrays are typed; anything else stays a string.
function parseEnvValue(raw: string): unknown {
  if (/^(-?\d+(\.\d+)?|true|false|\[.*\])$/s.test(raw.trim())) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

function deepMerge(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    if (value === undefined) continue;
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) ? deepMerge(prior, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const PATH_KEY = /^(dir|file)$|[a-z](Dir|File)$/;

function resolveFilePaths(node: Record<string, unknown>, base: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === "string" && PATH_KEY.test(key) && value.length > 0 && !isAbsolute(value)) out[key] = resolve(base, value);
    else if (isPlainObject(value)) out[key] = resolveFilePaths(value, base);
    else if (Array.isArray(value)) out[key] = value.map((v: unknown) => (isPlainObject(v) ? resolveFilePaths(v, base) : v));
    else out[key] = value;
  }
  return out;
}
