import { escapeRegExp } from "../../text/escape-reg-exp.js";
import type { RejectReasonClass } from "../events/mail-event.js";
import { ownString } from "./mail-text.js";

const RELAY = ["relay access denied", "relay not permitted", "relaying denied", "relaying temporarily denied", "unable to relay", "not permitted to relay", "isn't in my list of allowed rcpthosts", "relay denied"];
const RBL = ["blocked using", "in an rbl", "dnsbl", "black list", "blacklist", "blocklist", "listed at", "listed in", "listed by", "spamhaus", "spamcop", "barracuda", " rbl", "rbl:"];
const SPAM = ["spam", "virus", "malware", "local_scan", "hits=", "content rejected", "message content", "bulk mail", "phishing"];
const UNKNOWN_USER = ["user unknown", "unknown user", "no such user", "unrouteable address", "unroutable address", "undeliverable address", "mailbox unavailable", "mailbox not found", "not existing recipient", "invalid recipient", "recipient unknown", "no mailbox", "unknown local part", "does not exist here"];
const POLICY = ["command rejected", "host rejected", "address rejected", "verify fail", "access denied", "authentication required", "auth is required", "auth required", "rate limit", "ratelimit", "greylist", "not allowed", "does not exist", "does not resolve", "reverse dns", "fully-qualified", "pre-greeting", "not advertised", "not owned by user", "too many", "domain not found", "reverse hostname", "cannot find your", "policy", "sender rejected", "banned", "denied"];

/** One regular expression matching any of the needles: one native scan of the text instead of one per needle (twice as fast). */
function anyOf(needles: readonly string[]): RegExp {
  return new RegExp(needles.map(escapeRegExp).join("|"));
}

const CLASSES: readonly [RegExp, RejectReasonClass][] = [
  [anyOf(RELAY), "relay_denied"],
  [anyOf(RBL), "rbl"],
  [anyOf(SPAM), "spam"],
  [anyOf(UNKNOWN_USER), "unknown_user"],
  [anyOf(POLICY), "policy"],
];

/**
 * Coarse class of a rejection reason, from the reply text of any MTA. Relay
 * denial wins over everything (it is what open-relay and stolen-login
 * detection count), then DNS blocklists (their text often says "spam"), then
 * content filters, then unknown recipients, then other local policy.
 */
export function classifyRejectReason(text: string): RejectReasonClass {
  const known = classified.get(text);
  if (known !== undefined) return known;
  const reasonClass = classify(text);
  if (classified.size >= CLASSIFIED_MAX) classified = new Map();
  // ownString: a key must not keep the log chunk its line was sliced from.
  classified.set(ownString(text), reasonClass);
  return reasonClass;
}

/** Distinct reasons remembered; the table starts over when full (a cache: a log repeats a few reasons a million times). */
const CLASSIFIED_MAX = 1024;
let classified = new Map<string, RejectReasonClass>();

function classify(text: string): RejectReasonClass {
  const t = text.toLowerCase();
  for (const [needles, reasonClass] of CLASSES) if (needles.test(t)) return reasonClass;
  return "other";
}
