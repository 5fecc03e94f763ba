import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { REPO_ROOT } from "./cli-process.js";
import type { TestSshd } from "./sshd.js";

/** The example playbook and the config it is meant to run with. */
export const ANSIBLE_DIR = join(REPO_ROOT, "deploy/ansible");

/** One host's line of a PLAY RECAP. */
export interface RecapCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** A finished ansible-playbook run. */
export interface PlaybookRun {
  code: number | string;
  /** stdout and stderr as printed. */
  output: string;
  /** The PLAY RECAP block as printed. */
  recapText: string;
  /** Counts per host, from the recap. */
  recap: Record<string, RecapCounts>;
  /** "host: task" for every task result reported as changed (what a run that should change nothing changed). */
  changedTasks: string[];
}

/** Lists "host: task" for each `changed:` result line of ansible-playbook's default output. */
export function changedTasks(output: string): string[] {
  const changed: string[] = [];
  let task = "";
  for (const line of output.split("\n")) {
    const header = /^(?:TASK|RUNNING HANDLER) \[(.+)\]/.exec(line);
    if (header) task = header[1]!;
    const result = /^changed: \[([^\]]+)\]/.exec(line);
    if (result) changed.push(`${result[1]}: ${task}`);
  }
  return changed;
}

/** Reads the PLAY RECAP of ansible-playbook's default output. */
export function parseRecap(output: string): { recapText: string; recap: Record<string, RecapCounts> } {
  const at = output.lastIndexOf("PLAY RECAP");
  if (at < 0) return { recapText: "", recap: {} };
  const lines = output.slice(at).split("\n");
  const hostLines = lines.slice(1).filter((line) => /^\S+\s+:\s+ok=\d+/.test(line));
  const recap: Record<string, RecapCounts> = {};
  for (const line of hostLines) {
    const host = line.split(/\s+/)[0]!;
    const count = (key: keyof RecapCounts): number => Number(new RegExp(`\\b${key}=(\\d+)`).exec(line)?.[1] ?? NaN);
    recap[host] = {
      ok: count("ok"),
      changed: count("changed"),
      unreachable: count("unreachable"),
      failed: count("failed"),
      skipped: count("skipped"),
      rescued: count("rescued"),
      ignored: count("ignored"),
    };
  }
  return { recapText: [lines[0]!, ...hostLines].join("\n"), recap };
}

/** Hosts of a test inventory: group name -> host name -> host variables. */
export type InventoryGroups = Record<string, Record<string, Record<string, unknown>>>;

/**
 * Writes a YAML inventory whose hosts are all reached through the test's
 * sshd: key authentication, its known_hosts only, host keys checked.
 */
export async function writeSshInventory(file: string, sshd: TestSshd, groups: InventoryGroups, vars: Record<string, unknown>): Promise<void> {
  const children = Object.fromEntries(Object.entries(groups).map(([group, hosts]) => [group, { hosts }]));
  const inventory = {
    all: {
      vars: {
        ansible_host: sshd.host,
        ansible_port: sshd.port,
        ansible_user: sshd.user,
        ansible_ssh_common_args: sshd.clientOptions.join(" "),
        // The test logs in as root, and this machine has no sudo: the playbook's `become` has nothing to do.
        ansible_become: false,
        // Debian's ansible and its modules' dependencies (python3-cryptography) live with /usr/bin/python3.
        ansible_python_interpreter: "/usr/bin/python3",
        ...vars,
      },
      children,
    },
  };
  await writeFile(file, stringify(inventory));
}

/** Options for {@link runPlaybook}. */
export interface RunPlaybookOptions {
  inventory: string;
  /** Playbook path relative to deploy/ansible (default the example site.yml). */
  playbook?: string;
  extraVars?: Record<string, unknown>;
  limit?: string;
  timeoutMs?: number;
}

/** Runs Debian's ansible-playbook with deploy/ansible/ansible.cfg, to completion. */
export async function runPlaybook(opts: RunPlaybookOptions): Promise<PlaybookRun> {
  const args = ["-i", opts.inventory, join(ANSIBLE_DIR, opts.playbook ?? "site.yml")];
  if (opts.extraVars) args.push("-e", JSON.stringify(opts.extraVars));
  if (opts.limit) args.push("--limit", opts.limit);
  const child = spawn("/usr/bin/ansible-playbook", args, {
    cwd: ANSIBLE_DIR,
    env: { ...process.env, ANSIBLE_CONFIG: join(ANSIBLE_DIR, "ansible.cfg"), ANSIBLE_NOCOLOR: "1", ANSIBLE_FORCE_COLOR: "0", PYTHONUNBUFFERED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
  const code = await new Promise<number | string>((resolve) => child.once("exit", (c, s) => resolve(c ?? s ?? "unknown")));
  clearTimeout(timer);
  return { code, output, ...parseRecap(output), changedTasks: changedTasks(output) };
}
