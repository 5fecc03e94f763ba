import { coversInternet, type RelayConfigFinding } from "../../../../shared/mta/relay/relay-policy.js";
import { splitPostfixList } from "./lookup-keys.js";

/** The settings one smtpd service relays by (main.cf values, or master.cf -o overrides). */
export interface SmtpdRelaySettings {
  mynetworks: string;
  smtpdRelayRestrictions: string;
  smtpdRecipientRestrictions: string;
}

/** Restrictions that end the evaluation for an outside client sending to an outside domain: the relay is refused. */
const CLOSING = new Set(["reject_unauth_destination", "defer_unauth_destination", "reject", "defer", "reject_unverified_recipient_domain_never"]);
/** Restrictions followed by a lookup table argument. */
const TAKES_TABLE = /^check_\w+$/;

/**
 * How a restriction list treats an unauthenticated outside client sending to
 * an outside domain: "closed" when it reaches reject_unauth_destination (or a
 * plain reject/defer) first; otherwise what lets the mail through — "permit"
 * (an unconditional permit), "mynetworks" (permit_mynetworks while mynetworks
 * covers the Internet), or "end" (the list runs out: Postfix's implicit permit).
 */
export function relayListVerdict(list: string, mynetworksOpen: boolean, openClientTables: ReadonlySet<string> = new Set()): "closed" | "permit" | "mynetworks" | "table" | "end" {
  const items = splitPostfixList(list);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!.toLowerCase();
    if (CLOSING.has(item)) return "closed";
    if (item === "permit") return "permit";
    if (item === "permit_mynetworks" && mynetworksOpen) return "mynetworks";
    if (TAKES_TABLE.test(item) && items[i + 1]?.includes(":") === true) {
      if (item === "check_client_access" && openClientTables.has(items[i + 1]!)) return "table";
      i++;
    }
  }
  return "end";
}

/** check_client_access tables named in a restriction list. */
export function clientAccessTables(list: string): string[] {
  const items = splitPostfixList(list);
  return items.flatMap((item, i) => (item.toLowerCase() === "check_client_access" && items[i + 1]?.includes(":") === true ? [items[i + 1]!] : []));
}

/** True when a cidr: access table's text lets every client through: a line whose network covers the Internet with OK, PERMIT or RELAY. */
export function cidrTablePermitsAll(text: string): boolean {
  return text.split("\n").some((line) => {
    const m = /^\s*(?:if\s+)?(\S+)\s+(ok|permit|relay)\b/i.exec(line);
    return m !== null && coversInternet(m[1]!);
  });
}

/**
 * The open-relay findings of one smtpd service: Postfix accepts a recipient
 * only when both smtpd_relay_restrictions and smtpd_recipient_restrictions let
 * it through, so the service is open when both lists do. Each finding names
 * the setting that opened its list (mynetworks, or the list itself).
 */
export function postfixRelayFindings(
  s: SmtpdRelaySettings,
  files: { mynetworks: string; smtpdRelayRestrictions: string; smtpdRecipientRestrictions: string },
  where = "",
  openClientTables: ReadonlySet<string> = new Set(),
): RelayConfigFinding[] {
  const wide = splitPostfixList(s.mynetworks).filter(coversInternet);
  const relay = relayListVerdict(s.smtpdRelayRestrictions, wide.length > 0, openClientTables);
  const recipient = relayListVerdict(s.smtpdRecipientRestrictions, wide.length > 0, openClientTables);
  if (relay === "closed" || recipient === "closed") return [];
  const findings: RelayConfigFinding[] = [];
  const prefix = where === "" ? "" : `${where}: `;
  if (relay === "mynetworks" || recipient === "mynetworks") {
    findings.push({
      setting: `${prefix}mynetworks`,
      file: files.mynetworks,
      value: s.mynetworks,
      reason: `mynetworks lists ${wide.join(", ")}, which covers the Internet: permit_mynetworks lets any client relay without authentication`,
    });
  }
  for (const [name, verdict, value, file] of [
    ["smtpd_relay_restrictions", relay, s.smtpdRelayRestrictions, files.smtpdRelayRestrictions],
    ["smtpd_recipient_restrictions", recipient, s.smtpdRecipientRestrictions, files.smtpdRecipientRestrictions],
  ] as const) {
    if (verdict === "table") {
      const tables = clientAccessTables(value).filter((t) => openClientTables.has(t));
      findings.push({ setting: `${prefix}${name}`, file, value, reason: `${name} checks check_client_access ${tables.join(", ")}, whose table lets every client (a network covering the Internet) through with OK before reject_unauth_destination` });
    } else if (verdict === "permit" || (verdict === "end" && value.trim() !== "")) {
      findings.push({
        setting: `${prefix}${name}`,
        file,
        value,
        reason: verdict === "permit" ? `${name} reaches permit before reject_unauth_destination: mail for any domain is accepted from any client` : `${name} ends without reject_unauth_destination (the implicit end is permit)`,
      });
    }
  }
  if (findings.length === 0) {
    findings.push({
      setting: `${prefix}smtpd_relay_restrictions`,
      file: files.smtpdRelayRestrictions,
      value: s.smtpdRelayRestrictions,
      reason: "neither smtpd_relay_restrictions nor smtpd_recipient_restrictions contains reject_unauth_destination: mail for any domain is accepted from any client",
    });
  }
  return findings;
}
