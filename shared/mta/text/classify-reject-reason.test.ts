import { describe, expect, it } from "vitest";
import type { RejectReasonClass } from "../events/mail-event.js";
import { classifyRejectReason } from "./classify-reject-reason.js";

const cases: [string, RejectReasonClass][] = [
  ["<r1@outside.example>: Relay access denied", "relay_denied"],
  ["relay not permitted", "relay_denied"],
  ["Relaying denied. Proper authentication required.", "relay_denied"],
  ["sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", "relay_denied"],
  ["Service unavailable; Client host [1.2.3.4] blocked using zen.spamhaus.org", "rbl"],
  ["JunkMail rejected - test.com [1.2.3.4]:53343 is in an RBL", "rbl"],
  ["Rejected: 151.232.63.226 listed at sbl-xbl.spamhaus.org", "rbl"],
  ["rejected because 111.67.203.114 is in a black list at dnsbl.sorbs.net", "rbl"],
  ["Rejected: hits=7.5 required=5.0 trigger=5.0", "spam"],
  ["This message contains a virus (Sanesecurity.Junk.39934.UNOFFICIAL).", "spam"],
  ["5.7.1 Blocked by SpamAssassin", "spam"],
  ["Recipient address rejected: User unknown in local recipient table", "unknown_user"],
  ["Unrouteable address", "unknown_user"],
  ["No Such User Here", "unknown_user"],
  ["Recipient address rejected: undeliverable address: verification failed", "unknown_user"],
  ["<WIN-9QL4SDRB93L>: Helo command rejected: need fully-qualified hostname", "policy"],
  ["Client host rejected: cannot find your hostname, [0.0.0.0]", "policy"],
  ["Sender verify failed", "policy"],
  ["SMTP AUTH is required for message submission on port 587", "policy"],
  ["Sender address rejected: Domain not found", "policy"],
  ["Service unavailable", "other"],
  ["", "other"],
];

describe("classifyRejectReason", () => {
  for (const [input, output] of cases) it(`${JSON.stringify(input)} → ${output}`, () => expect(classifyRejectReason(input)).toBe(output));
});
