import type { RejectReasonClass } from "../events/mail-event.js";

const RELAY = ["relay access denied", "relay not permitted", "relaying denied", "relaying temporarily denied", "unable to relay", "not permitted to relay", "isn't in my list of allowed rcpthosts", "relay denied"];
const RBL = ["blocked using", "in an rbl", "dnsbl", "black list", "blacklist", "blocklist", "listed at", "listed in", "listed by", "spamhaus", "spamcop", "barracuda", " rbl", "rbl:"];
const SPAM = ["spam", "virus", "malware", "local_scan", "hits=", "content rejected", "message content", "bulk mail", "phishing"];
const UNKNOWN_USER = ["user unknown", "unknown user", "no such user", "unrouteable address", "unroutable address", "undeliverable address", "mailbox unavailable", "mailbox not found", "not existing recipient", "invalid recipient", "recipient unknown", "no mailbox", "unknown local part", "does not exist here"];
const POLICY = ["command rejected", "host rejected", "address rejected", "verify fail", "access denied", "authentication required", "auth is required", "auth required", "rate limit", "ratelimit", "greylist", "not allowed", "does not exist", "does not resolve", "reverse dns", "fully-qualified", "pre-greeting", "not advertised", "not owned by user", "too many", "domain not found", "reverse hostname", "cannot find your", "policy", "sender rejected", "banned", "denied"];

function anyOf(text: string, needles: readonly string[]): boolean {
  for (const n of needles) if (text.includes(n)) return true;
  return false;
}

/**
 * Coarse class of a rejection reason, from the reply text of any MTA. Relay
 * denial wins over everything (it is what open-relay and stolen-login
 * detection count), then DNS blocklists (their text often says "spam"), then
 * content filters, then unknown recipients, then other local policy.
 */
export function classifyRejectReason(text: string): RejectReasonClass {
  const t = text.toLowerCase();
  if (anyOf(t, RELAY)) return "relay_denied";
  if (anyOf(t, RBL)) return "rbl";
  if (anyOf(t, SPAM)) return "spam";
  if (anyOf(t, UNKNOWN_USER)) return "unknown_user";
  if (anyOf(t, POLICY)) return "policy";
  return "other";
}
