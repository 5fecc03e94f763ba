import { describe, expect, it } from "vitest";
import { markAuthAndRejected } from "./exim-line-fields.js";

describe("markAuthAndRejected", () => {
  const lines = [
    "SMTP connection from [192.0.2.1]:1234 (TCP/IP connection count = 1)",
    "dovecot_login authenticator failed for (x) [192.0.2.1]:1: 535 Incorrect authentication data (set_id=a)",
    "H=(x) [192.0.2.1] F=<a@b> rejected RCPT <c@d>: Unrouteable address",
    "H=(x) [192.0.2.1] rejected authenticator failed for y rejected again",
    "plain authenticator failed for (x) [192.0.2.1]: 535 rejected by policy",
    "x rejected authenticator failed for ",
    " authenticator failed for at the start",
    "rejected at the start, rejected later",
    "",
  ];
  for (const line of lines) {
    it(`finds what two indexOf calls find: ${JSON.stringify(line.slice(0, 40))}`, () => {
      for (const from of [0, 1, 5, 20]) {
        const { authAt, rejectedAt } = markAuthAndRejected(line, from);
        expect([authAt, rejectedAt]).toEqual([line.indexOf(" authenticator failed for ", from), line.indexOf(" rejected ", from)]);
      }
    });
  }
});
