import { isIP } from "node:net";
import { parse as parseYaml } from "yaml";

/** One host to scan: the inventory name (stored as its host id) and how to reach it. */
export interface InventoryHost {
  name: string;
  /** Address or DNS name (Ansible's ansible_host; else the name). */
  address: string;
  port?: number | undefined;
  user?: string | undefined;
}

/**
 * Reads an inventory: an Ansible YAML inventory (groups with `hosts:` and
 * `children:`, host vars ansible_host / ansible_port / ansible_user), an
 * Ansible INI inventory (`name ansible_host=... ansible_port=...` under
 * `[group]` headers), or a plain list (one `name`, `address`, `address:port`
 * or `user@address:port` per line, IPv6 bare or as `[address]:port`; `#`
 * comments; a bracketed line alone is an INI group header). Hosts listed in several
 * groups are scanned once.
 */
export function parseInventory(text: string): InventoryHost[] {
  const trimmed = text.trim();
  const hosts = new Map<string, InventoryHost>();
  const add = (h: InventoryHost): void => void (hosts.has(h.name) || hosts.set(h.name, h));
  if (/^(all|[A-Za-z0-9_-]+):\s*$/m.test(trimmed) && /\bhosts:/.test(trimmed)) {
    walkYamlGroup(parseYaml(trimmed) as unknown, add);
    return [...hosts.values()];
  }
  for (const raw of trimmed.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    if (line === "" || /^\[.*\]$/.test(line)) continue;
    const [first, ...vars] = line.split(/\s+/);
    const kv = Object.fromEntries(vars.map((v) => v.split("=", 2) as [string, string]));
    if (first!.includes("=")) continue;
    if (isIP(first!) === 6) {
      add({ name: first!, address: kv.ansible_host ?? first!, port: kv.ansible_port ? Number(kv.ansible_port) : undefined, user: kv.ansible_user });
      continue;
    }
    const plain = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(first!);
    if (!plain) throw new RangeError(`inventory line ${JSON.stringify(raw)} is not NAME, ADDRESS[:PORT], USER@ADDRESS[:PORT] or an Ansible INI host line`);
    const address = kv.ansible_host ?? plain[2]!.replace(/^\[|\]$/g, "");
    const port = kv.ansible_port ?? plain[3];
    add({ name: plain[2]!.replace(/^\[|\]$/g, ""), address, port: port ? Number(port) : undefined, user: kv.ansible_user ?? plain[1] });
  }
  return [...hosts.values()];
}

function walkYamlGroup(node: unknown, add: (h: InventoryHost) => void): void {
  if (typeof node !== "object" || node === null) return;
  const group = node as Record<string, unknown>;
  if (typeof group.hosts === "object" && group.hosts !== null) {
    for (const [name, vars] of Object.entries(group.hosts as Record<string, unknown>)) {
      const v = (vars ?? {}) as Record<string, unknown>;
      add({ name, address: typeof v.ansible_host === "string" ? v.ansible_host : name, port: v.ansible_port === undefined ? undefined : Number(v.ansible_port), user: typeof v.ansible_user === "string" ? v.ansible_user : undefined });
    }
  }
  if (typeof group.children === "object" && group.children !== null) for (const child of Object.values(group.children as Record<string, unknown>)) walkYamlGroup(child, add);
  // Top level: every key is a group (all:, webservers:, ...).
  if (!("hosts" in group) && !("children" in group) && !("vars" in group)) for (const child of Object.values(group)) walkYamlGroup(child, add);
}
