import { coversInternet, toCidr, type RelayConfigFinding, type RelayPolicy } from "../../../../shared/mta/relay/relay-policy.js";
import type { HostFiles } from "../host-files.js";
import { tableKeys } from "./lookup-keys.js";

// Sendmail and qmail keep their relay policy in plain files.

/** Sendmail: class w (local-host-names), relay-domains, and the access file's RELAY entries. */
export const SENDMAIL_FILES = { localHostNames: "/etc/mail/local-host-names", relayDomains: "/etc/mail/relay-domains", access: "/etc/mail/access" } as const;
/** qmail: rcpthosts (every domain accepted from outside), locals, and tcpserver's rules (RELAYCLIENT). */
export const QMAIL_FILES = { rcpthosts: "/var/qmail/control/rcpthosts", morercpthosts: "/var/qmail/control/morercpthosts", locals: "/var/qmail/control/locals", tcpRules: ["/etc/tcp.smtp", "/etc/tcprules.d/tcp.smtp"] } as const;

function lines(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean);
}

/**
 * Sendmail's relay policy: local-host-names and relay-domains are served
 * (relay-domains also lets those domains' hosts relay — both in one list);
 * access lines "Connect:10.1 RELAY" / "10.1 RELAY" are permitted networks,
 * domain RELAY entries served domains. A network RELAY entry covering the
 * Internet is a finding.
 */
export async function readSendmailRelayPolicy(files: HostFiles): Promise<RelayPolicy | null> {
  const policy: RelayPolicy = { mta: "sendmail", servedDomains: ["localhost"], permittedNetworks: [], unreadableSources: [], sources: [], findings: [] };
  let found = false;
  for (const path of [SENDMAIL_FILES.localHostNames, SENDMAIL_FILES.relayDomains]) {
    const text = await files.readText(path);
    if (text === null) continue;
    found = true;
    policy.sources.push(path);
    policy.servedDomains.push(...lines(text).map((l) => l.split(/\s+/)[0]!.toLowerCase()));
  }
  const access = await files.readText(SENDMAIL_FILES.access);
  if (access !== null) {
    found = true;
    policy.sources.push(SENDMAIL_FILES.access);
    for (const line of lines(access)) {
      const m = /^(?:(Connect|To):)?(\S+)\s+RELAY\b/i.exec(line);
      if (!m) continue;
      const key = m[2]!;
      const cidr = toCidr(key);
      if (cidr === null) {
        if (m[1]?.toLowerCase() !== "connect") policy.servedDomains.push(key.toLowerCase());
      } else if (coversInternet(cidr)) policy.findings.push(finding("access RELAY", SENDMAIL_FILES.access, line, `${key} covers the Internet: any client may relay`));
      else policy.permittedNetworks.push(cidr);
    }
  }
  return found ? policy : null;
}

/**
 * qmail's relay policy: rcpthosts (+ morercpthosts) lists every domain
 * qmail-smtpd accepts from a client without RELAYCLIENT; tcpserver rules
 * "10.0.:allow,RELAYCLIENT=\"\"" are permitted networks. A missing rcpthosts
 * makes qmail an open relay (a finding); a RELAYCLIENT rule for every
 * address (":allow,RELAYCLIENT") too.
 */
export async function readQmailRelayPolicy(files: HostFiles): Promise<RelayPolicy | null> {
  const policy: RelayPolicy = { mta: "qmail", servedDomains: ["localhost"], permittedNetworks: [], unreadableSources: [], sources: [], findings: [] };
  const rcpthosts = await files.readText(QMAIL_FILES.rcpthosts);
  if (rcpthosts === null) {
    if (!(await files.exists("/var/qmail/control"))) return null;
    policy.findings.push(finding("rcpthosts", QMAIL_FILES.rcpthosts, "(missing)", "without control/rcpthosts qmail-smtpd accepts mail for any domain from any client"));
  } else {
    policy.sources.push(QMAIL_FILES.rcpthosts);
    policy.servedDomains.push(...lines(rcpthosts).map((d) => d.toLowerCase()));
  }
  for (const path of [QMAIL_FILES.morercpthosts, QMAIL_FILES.locals]) {
    const text = await files.readText(path);
    if (text === null) continue;
    policy.sources.push(path);
    policy.servedDomains.push(...lines(text).map((d) => d.toLowerCase()));
  }
  for (const path of QMAIL_FILES.tcpRules) {
    const text = await files.readText(path);
    if (text === null) continue;
    policy.sources.push(path);
    for (const line of lines(text)) {
      const m = /^([^:]*):allow\b.*\bRELAYCLIENT=/.exec(line);
      if (!m) continue;
      const key = m[1]!.trim();
      const cidr = key === "" ? "0.0.0.0/0" : toCidr(key);
      if (cidr !== null && coversInternet(cidr)) policy.findings.push(finding("RELAYCLIENT", path, line, `${key === "" ? "every address" : key} gets RELAYCLIENT: any client may relay`));
      else if (cidr !== null) policy.permittedNetworks.push(cidr);
    }
  }
  return policy;
}

/** cPanel keeps the domains it serves in /etc/localdomains (its Exim reads it too). */
export async function readCpanelDomains(files: HostFiles): Promise<{ domains: string[]; source: string } | null> {
  const text = await files.readText("/etc/localdomains");
  return text === null ? null : { domains: tableKeys(text).map((d) => d.toLowerCase()), source: "/etc/localdomains" };
}

function finding(setting: string, file: string, value: string, reason: string): RelayConfigFinding {
  return { setting, file, value, reason };
}
