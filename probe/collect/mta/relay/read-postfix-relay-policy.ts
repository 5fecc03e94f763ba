import { dirname } from "node:path";
import { coversInternet, toCidr, type RelayPolicy } from "../../../../shared/mta/relay/relay-policy.js";
import { firstStderrLine, type CommandRunner } from "../../run-command.js";
import type { HostFiles } from "../host-files.js";
import { parsePostconfOutput } from "../read-postfix-config.js";
import { expandPostfixList, splitPostfixList, type ListedValues } from "./lookup-keys.js";
import { cidrTablePermitsAll, clientAccessTables, postfixRelayFindings, type SmtpdRelaySettings } from "./postfix-relay-check.js";

/** Parameters asked of `postconf -x` (values with $names expanded, as Postfix uses them). */
export const POSTFIX_RELAY_PARAMETERS = [
  "config_directory",
  "mydestination",
  "virtual_alias_domains",
  "virtual_mailbox_domains",
  "relay_domains",
  "mynetworks",
  "smtpd_relay_restrictions",
  "smtpd_recipient_restrictions",
] as const;

/** Domain of a lookup key: "user@example.org" and "@example.org" → example.org (virtual_alias_maps keys). */
export function domainEntry(entry: string): string {
  const at = entry.lastIndexOf("@");
  return (at < 0 ? entry : entry.slice(at + 1)).toLowerCase();
}

/**
 * Reads Postfix's relay policy with its own postconf: the served domains
 * (mydestination, virtual_alias_domains, virtual_mailbox_domains,
 * relay_domains with their lookup tables), the permitted networks
 * (mynetworks) and the open-relay settings of main.cf and of master.cf's
 * smtpd services (`postconf -P` overrides). MAIL_CONFIG from mta.commandEnv
 * selects a non-default instance. Null (with the reason in evidence) when
 * postconf cannot answer.
 */
export async function readPostfixRelayPolicy(files: HostFiles, run: CommandRunner, postconf: string, timeoutMs: number, evidence: string[]): Promise<RelayPolicy | null> {
  let main: Map<string, string>;
  let services: Map<string, string>;
  try {
    const r = await run(files.local(postconf), ["-x", ...POSTFIX_RELAY_PARAMETERS], { timeoutMs });
    if (r.code !== 0) {
      evidence.push(`${postconf} -x failed (exit ${r.code}): ${firstStderrLine(r)}`);
      return null;
    }
    main = parsePostconfOutput(r.stdout);
    const p = await run(files.local(postconf), ["-P", "-x"], { timeoutMs });
    services = p.code === 0 ? parseServiceParameters(p.stdout) : new Map();
  } catch (error) {
    evidence.push(`${postconf} could not run: ${(error as Error).message}`);
    return null;
  }
  const get = (name: string) => main.get(name) ?? "";
  const configDir = get("config_directory") || "/etc/postfix";
  const mainCf = `${configDir}/main.cf`;
  const masterCf = `${configDir}/master.cf`;
  const postmap = `${dirname(postconf)}/postmap`;
  const postmapPath = (await files.isExecutable(postmap)) ? files.local(postmap) : undefined;
  const expand = (value: string) => expandPostfixList(splitPostfixList(value), files, run, postmapPath, timeoutMs);

  const domainLists: ListedValues[] = [];
  for (const name of ["mydestination", "virtual_alias_domains", "virtual_mailbox_domains", "relay_domains"]) domainLists.push(await expand(get(name)));
  const networks = await expand(get("mynetworks"));
  const cidrs = networks.entries.map(toCidr).filter((c): c is string => c !== null);
  const sourceOf = (list: ListedValues) => list.sources;

  const openTables = await openClientTables([get("smtpd_relay_restrictions"), get("smtpd_recipient_restrictions"), ...services.values()], files);
  const findings = postfixRelayFindings(settingsOf(main), { mynetworks: mainCf, smtpdRelayRestrictions: mainCf, smtpdRecipientRestrictions: mainCf }, "", openTables);
  for (const service of smtpdServicesWithOverrides(services)) {
    const override = (name: string) => services.get(`${service}/${name}`);
    const settings = settingsOf(main);
    const m = override("mynetworks");
    const rr = override("smtpd_relay_restrictions");
    const rc = override("smtpd_recipient_restrictions");
    const s: SmtpdRelaySettings = { mynetworks: m ?? settings.mynetworks, smtpdRelayRestrictions: rr ?? settings.smtpdRelayRestrictions, smtpdRecipientRestrictions: rc ?? settings.smtpdRecipientRestrictions };
    for (const f of postfixRelayFindings(s, { mynetworks: m === undefined ? mainCf : masterCf, smtpdRelayRestrictions: rr === undefined ? mainCf : masterCf, smtpdRecipientRestrictions: rc === undefined ? mainCf : masterCf }, `master.cf ${service}`, openTables)) {
      // A service that inherits main.cf's open setting repeats main.cf's finding; keep only what master.cf changes.
      if (f.file === masterCf) findings.push(f);
    }
  }
  const policy: RelayPolicy = {
    mta: "postfix",
    servedDomains: ["localhost", ...domainLists.flatMap((l) => l.entries.map(domainEntry))],
    permittedNetworks: cidrs.filter((c) => !coversInternet(c)),
    unreadableSources: [...domainLists.flatMap((l) => l.unreadable), ...networks.unreadable],
    sources: [`${postconf} -x (${mainCf})`, ...domainLists.flatMap(sourceOf), ...sourceOf(networks)],
    findings,
  };
  evidence.push(`${postconf}: ${policy.servedDomains.length} served domains, ${policy.permittedNetworks.length} permitted networks, ${findings.length} open-relay settings`);
  return policy;
}

/** The cidr: check_client_access tables of the restriction lists that let every client through (read from their files). */
async function openClientTables(lists: readonly string[], files: HostFiles): Promise<Set<string>> {
  const open = new Set<string>();
  for (const table of new Set(lists.flatMap(clientAccessTables))) {
    const m = /^cidr:(\/.+)$/.exec(table);
    const text = m === null ? null : await files.readText(m[1]!);
    if (text !== null && cidrTablePermitsAll(text)) open.add(table);
  }
  return open;
}

function settingsOf(values: Map<string, string>): SmtpdRelaySettings {
  return {
    mynetworks: values.get("mynetworks") ?? "",
    smtpdRelayRestrictions: values.get("smtpd_relay_restrictions") ?? "",
    smtpdRecipientRestrictions: values.get("smtpd_recipient_restrictions") ?? "",
  };
}

/** `postconf -P` output ("service/type/name = value" per line) as a map keyed "service/type/name". */
export function parseServiceParameters(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(\S+\/\S+\/[A-Za-z0-9_]+) =(?: (.*))?$/.exec(line.trimEnd());
    if (m?.[1] !== undefined) values.set(m[1], m[2] ?? "");
  }
  return values;
}

/** "service/type" of master.cf entries that override a relay setting (`postconf -P`: "submission/inet/smtpd_relay_restrictions = …"). */
function smtpdServicesWithOverrides(services: Map<string, string>): string[] {
  const names = new Set<string>();
  for (const key of services.keys()) {
    const m = /^(.+\/[a-z]+)\/(mynetworks|smtpd_relay_restrictions|smtpd_recipient_restrictions)$/.exec(key);
    if (m?.[1] !== undefined) names.add(m[1]);
  }
  return [...names].sort();
}
