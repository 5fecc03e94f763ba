// Starts a unit's ExecStart the way systemd would, where systemd is not PID 1 (this machine, CI).
//
// What is reproduced, with setpriv(1): User=, Group=, SupplementaryGroups= (plus the user's own groups from
// /etc/group, as systemd's getgrouplist() adds them), AmbientCapabilities= (inheritable + ambient),
// CapabilityBoundingSet=, NoNewPrivileges=, the environment systemd builds (PATH, HOME, USER, LOGNAME,
// SHELL, STATE_DIRECTORY, then Environment=), WorkingDirectory= and ExecStart=.
// What is NOT reproduced (it needs systemd itself): the mount namespace (ProtectSystem, ProtectHome,
// PrivateTmp, ReadWritePaths), the seccomp filters (SystemCallFilter, RestrictAddressFamilies), cgroup
// limits (MemoryMax, TasksMax), Restart=, StateDirectory= creation. `systemd-analyze verify/security`
// checks those lines; see deploy/systemd/README.md.
import { execFile, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { watchProcess, type CliProcess } from "./cli-process.js";

const execFileAsync = promisify(execFile);

/** The [Service] settings that decide who a unit's process is and what it may do. */
export interface UnitSpec {
  user: string | null;
  /** Group=; null: the user's primary group. */
  group: string | null;
  supplementaryGroups: string[];
  /** Capability names as systemd writes them, e.g. "CAP_SYS_PTRACE". */
  ambientCapabilities: string[];
  /** null: not set (every capability stays in the bounding set). */
  capabilityBoundingSet: string[] | null;
  noNewPrivileges: boolean;
  /** Environment= assignments in order (later ones win). */
  environment: Record<string, string>;
  /** ExecStart= split into argv, prefixes such as "-" or "@" removed. */
  execStart: string[];
  workingDirectory: string | null;
  /** StateDirectory= names (relative to /var/lib), exported as STATE_DIRECTORY. */
  stateDirectories: string[];
}

/** Splits a systemd command line or value list into words: whitespace separates, "..." and '...' quote, \ escapes. */
export function splitUnitWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\\" && i + 1 < text.length) {
      word = (word ?? "") + (text[++i] as string);
    } else if (quote !== null) {
      if (c === quote) quote = null;
      else word = (word ?? "") + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= "";
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (quote !== null) throw new Error(`unterminated ${quote} in unit value: ${text}`);
  if (word !== null) words.push(word);
  return words;
}

/** [Service] assignments in file order, continuation lines joined, comments dropped. */
function serviceAssignments(text: string): Array<[string, string]> {
  const joined = text.replace(/\\\r?\n/g, " ");
  const out: Array<[string, string]> = [];
  let section = "";
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) throw new Error(`unit line without "=": ${line}`);
    if (section === "Service") out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

function capabilityList(current: string[] | null, value: string): string[] | null {
  if (value === "") return [];
  const inverted = value.startsWith("~");
  const names = splitUnitWords(inverted ? value.slice(1) : value).map((name) => name.toUpperCase());
  if (inverted) throw new Error(`CapabilityBoundingSet=~... (all but some) is not supported by run-as-unit: ${value}`);
  return [...(current ?? []), ...names];
}

function parseBoolean(key: string, value: string): boolean {
  if (/^(yes|true|on|1)$/i.test(value)) return true;
  if (/^(no|false|off|0)$/i.test(value)) return false;
  throw new Error(`${key}=${value} is not a boolean`);
}

/**
 * Parses a unit file and its drop-ins (applied in order, as systemd applies
 * /etc/systemd/system/NAME.service.d/*.conf): list settings accumulate and an
 * empty assignment resets them, as in systemd.
 */
export function parseUnitFile(text: string, ...dropIns: string[]): UnitSpec {
  const spec: UnitSpec = {
    user: null,
    group: null,
    supplementaryGroups: [],
    ambientCapabilities: [],
    capabilityBoundingSet: null,
    noNewPrivileges: false,
    environment: {},
    execStart: [],
    workingDirectory: null,
    stateDirectories: [],
  };
  for (const [key, value] of [text, ...dropIns].flatMap(serviceAssignments)) {
    switch (key) {
      case "User":
        spec.user = value || null;
        break;
      case "Group":
        spec.group = value || null;
        break;
      case "SupplementaryGroups":
        spec.supplementaryGroups = value === "" ? [] : [...spec.supplementaryGroups, ...splitUnitWords(value)];
        break;
      case "AmbientCapabilities":
        spec.ambientCapabilities = capabilityList(spec.ambientCapabilities, value) ?? [];
        break;
      case "CapabilityBoundingSet":
        spec.capabilityBoundingSet = capabilityList(spec.capabilityBoundingSet, value);
        break;
      case "NoNewPrivileges":
        spec.noNewPrivileges = parseBoolean(key, value);
        break;
      case "Environment":
        if (value === "") spec.environment = {};
        for (const assignment of splitUnitWords(value)) {
          const eq = assignment.indexOf("=");
          if (eq <= 0) throw new Error(`Environment=${value}: "${assignment}" is not NAME=value`);
          spec.environment[assignment.slice(0, eq)] = assignment.slice(eq + 1);
        }
        break;
      case "ExecStart": {
        // "-" (ignore failure), "@" (argv0 given), ":" / "+" / "!" (no substitution / full privileges):
        // run-as-unit refuses "+" and "!" since they would not run with the unit's credentials.
        const words = splitUnitWords(value);
        const first = words[0] ?? "";
        const prefix = /^[-@:+!]*/.exec(first)?.[0] ?? "";
        if (prefix.includes("+") || prefix.includes("!")) throw new Error(`ExecStart=${value}: "+"/"!" prefixes are not supported`);
        words[0] = first.slice(prefix.length);
        if (prefix.includes("@")) words.splice(1, 1);
        spec.execStart = value === "" ? [] : words;
        break;
      }
      case "WorkingDirectory":
        spec.workingDirectory = value === "" ? null : value.replace(/^-/, "");
        break;
      case "StateDirectory":
        spec.stateDirectories = value === "" ? [] : [...spec.stateDirectories, ...splitUnitWords(value)];
        break;
      default:
        break;
    }
  }
  if (spec.execStart.length === 0) throw new Error("unit has no ExecStart=");
  return spec;
}

/** Reads and parses a unit file (and drop-in files, in order). */
export async function readUnitFile(path: string, dropInPaths: readonly string[] = []): Promise<UnitSpec> {
  const texts = await Promise.all([path, ...dropInPaths].map((p) => readFile(p, "utf8")));
  return parseUnitFile(texts[0] as string, ...texts.slice(1));
}

/** How a test changes the unit's start (each option says which unit line it overrides). */
export interface RunAsUnitOptions {
  /** Capabilities removed from AmbientCapabilities and the bounding set, e.g. ["CAP_SYS_PTRACE"]. */
  dropCapabilities?: readonly string[];
  /** Capabilities added to AmbientCapabilities (and the bounding set), e.g. to show what one more would allow. */
  addCapabilities?: readonly string[];
  /** Groups removed from the process's supplementary groups (from the unit or from /etc/group), e.g. ["adm"]. */
  dropGroups?: readonly string[];
  /**
   * A test root: absolute paths in ExecStart arguments, WorkingDirectory and Environment values that start
   * with one of `rootPrefixes` get it prepended (the executable itself, e.g. /usr/bin/node, never).
   */
  root?: string;
  /** Prefixes mapped under `root`; default ["/opt/", "/etc/", "/var/"]. */
  rootPrefixes?: readonly string[];
  /** Replaces ExecStart's executable, e.g. a Node 18 binary (give its LD_LIBRARY_PATH in env). */
  executable?: string;
  /** Rewrites the arguments after the executable, e.g. to run `snapshot --once --json` instead of `run`. */
  args?: (unitArgs: readonly string[]) => string[];
  /** Added to (and overriding) the unit's environment. */
  env?: Record<string, string>;
}

/** The command that starts a unit as systemd would, its environment and working directory. */
export interface UnitCommand {
  /** ["setpriv", ...options, "--", executable, ...args]. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** systemd 252's PATH for services (no /sbin or /bin: merged /usr). */
const SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin";

interface Account {
  name: string;
  home: string;
  shell: string;
  primaryGroup: string;
  groups: string[];
}

async function lookupAccount(user: string): Promise<Account> {
  const { stdout } = await execFileAsync("getent", ["passwd", user]).catch(() => {
    throw new Error(`User=${user} does not exist (systemd would fail with status 217/USER)`);
  });
  const [name, , , gid, , home, shell] = stdout.trim().split(":");
  const primary = (await execFileAsync("getent", ["group", gid as string])).stdout.split(":")[0] as string;
  // `id -Gn` is getgrouplist(): the primary group and every /etc/group membership, as systemd applies them.
  const groups = (await execFileAsync("id", ["-Gn", user])).stdout.trim().split(/\s+/);
  return { name: name as string, home: home as string, shell: shell as string, primaryGroup: primary, groups };
}

async function requireGroup(group: string): Promise<void> {
  await execFileAsync("getent", ["group", group]).catch(() => {
    throw new Error(`group ${group} does not exist (systemd would fail with status 216/GROUP)`);
  });
}

function setprivCaps(names: readonly string[]): string {
  // setpriv spells CAP_SYS_PTRACE as sys_ptrace.
  return ["-all", ...names.map((name) => `+${name.replace(/^CAP_/i, "").toLowerCase()}`)].join(",");
}

function mapUnder(root: string | undefined, prefixes: readonly string[], value: string): string {
  if (root === undefined || !isAbsolute(value) || !prefixes.some((prefix) => value.startsWith(prefix))) return value;
  return join(root, value);
}

/**
 * The exact setpriv command line, environment and working directory for the
 * unit. Throws, as systemd's start would fail, when the user or a group is
 * missing.
 */
export async function unitCommand(spec: UnitSpec, opts: RunAsUnitOptions = {}): Promise<UnitCommand> {
  if (spec.user === null) throw new Error("unit has no User=: it would run as root, which run-as-unit does not model");
  const account = await lookupAccount(spec.user);
  const group = spec.group ?? account.primaryGroup;
  await requireGroup(group);
  for (const g of spec.supplementaryGroups) await requireGroup(g);
  const dropGroups = new Set(opts.dropGroups ?? []);
  const groups = [...new Set([...account.groups, ...spec.supplementaryGroups])].filter((g) => g !== group && !dropGroups.has(g));

  const drop = new Set((opts.dropCapabilities ?? []).map((c) => c.toUpperCase()));
  const add = (opts.addCapabilities ?? []).map((c) => c.toUpperCase());
  const ambient = [...new Set([...spec.ambientCapabilities, ...add])].filter((c) => !drop.has(c));
  const bounding =
    spec.capabilityBoundingSet === null ? null : [...new Set([...spec.capabilityBoundingSet, ...add])].filter((c) => !drop.has(c));

  const prefixes = opts.rootPrefixes ?? ["/opt/", "/etc/", "/var/"];
  const map = (value: string): string => mapUnder(opts.root, prefixes, value);
  const [unitExecutable, ...unitArgs] = spec.execStart;
  const executable = opts.executable ?? (unitExecutable as string);
  const args = (opts.args ? opts.args(unitArgs) : unitArgs).map(map);

  const env: Record<string, string> = {
    PATH: SYSTEMD_PATH,
    HOME: account.home,
    USER: account.name,
    LOGNAME: account.name,
    SHELL: account.shell,
  };
  if (spec.stateDirectories.length > 0) env.STATE_DIRECTORY = spec.stateDirectories.map((d) => map(`/var/lib/${d}`)).join(":");
  for (const [name, value] of Object.entries(spec.environment)) env[name] = map(value);
  Object.assign(env, opts.env ?? {});

  const argv = [
    "setpriv",
    `--reuid=${account.name}`,
    `--regid=${group}`,
    groups.length > 0 ? `--groups=${groups.join(",")}` : "--clear-groups",
    `--inh-caps=${setprivCaps(ambient)}`,
    `--ambient-caps=${setprivCaps(ambient)}`,
    // An unset CapabilityBoundingSet leaves the bounding set alone, as systemd does.
    ...(bounding === null ? [] : [`--bounding-set=${setprivCaps(bounding)}`]),
    ...(spec.noNewPrivileges ? ["--no-new-privs"] : []),
    "--",
    executable,
    ...args,
  ];
  // systemd starts in "/" without WorkingDirectory=; with it, in that folder (mapped like the other paths).
  return { argv, env, cwd: spec.workingDirectory === null ? "/" : map(spec.workingDirectory) };
}

/** Starts the unit's command in the background, output captured (see CliProcess). Needs root, as systemd is. */
export async function startAsUnit(spec: UnitSpec, opts: RunAsUnitOptions = {}): Promise<CliProcess> {
  const command = await unitCommand(spec, opts);
  const child = spawn(command.argv[0] as string, command.argv.slice(1), {
    cwd: command.cwd,
    env: command.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return watchProcess(child, `${spec.execStart.join(" ")} (as ${spec.user})`);
}

/** Runs the unit's command to its end: exit code (or signal), stdout, stderr; killed after timeoutMs. */
export async function runAsUnit(
  spec: UnitSpec,
  opts: RunAsUnitOptions & { timeoutMs?: number } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const command = await unitCommand(spec, opts);
  const child = spawn(command.argv[0] as string, command.argv.slice(1), {
    cwd: command.cwd,
    env: command.env,
    stdio: ["ignore", "pipe", "pipe"],
    timeout: opts.timeoutMs ?? 60_000,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const code = await new Promise<number | string>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (c, s) => resolve(c ?? s ?? "unknown"));
  });
  return { code, stdout, stderr };
}
