import { describe, expect, it } from "vitest";
import { parseSendmailMailq } from "./parse-sendmail-mailq.js";
import { fixtureText } from "./queue-test-files.test-support.js";

const UTC = { utcOffsetMinutes: 0 };

describe("parseSendmailMailq", () => {
  it("reads both sections of Debian's mailq: marks, body types, status and quarantine lines", () => {
    const now = Date.UTC(2026, 10, 29, 7, 0, 0);
    expect(parseSendmailMailq(fixtureText("sendmail-mailq-msp-mta.txt"), { nowUnixMs: now, ...UTC })).toEqual({
      mta: "sendmail",
      source: "mailq",
      complete: true,
      total: 4,
      byQueue: { "/var/spool/mqueue": 4 },
      frozenOrHeld: 1,
      oldestAgeSeconds: (now - Date.UTC(2026, 10, 28, 21, 0)) / 1000,
      nullSender: 1,
      recipients: 5,
      topSenders: [
        { key: "<>", count: 1 },
        { key: "newsletter@shop.example", count: 1 },
        { key: "root@web1.example", count: 1 },
        { key: "www-data@web1.example", count: 1 },
      ],
      topRecipientDomains: [
        { key: "remote.example", count: 3 },
        { key: "bounce.example", count: 1 },
        { key: "other.example", count: 1 },
      ],
      skippedLines: 0,
      observedAtUnixMs: now,
    });
  });

  it("keeps queue groups apart, ignores jobs that completed mid-listing, and puts 31 Dec in last year", () => {
    const now = Date.UTC(2027, 0, 1, 0, 10, 0);
    const snapshot = parseSendmailMailq(fixtureText("sendmail-mailq-queue-groups.txt"), { nowUnixMs: now, ...UTC });
    expect(snapshot).toMatchObject({
      total: 2,
      byQueue: { "/var/spool/mqueue/q1": 1, "/var/spool/mqueue/q2": 1 },
      oldestAgeSeconds: 20 * 60,
      skippedLines: 0,
    });
  });

  it("reads an empty queue", () => {
    const snapshot = parseSendmailMailq(fixtureText("sendmail-mailq-empty.txt"), { nowUnixMs: 0, ...UTC });
    expect(snapshot).toMatchObject({ total: 0, byQueue: {}, oldestAgeSeconds: null, skippedLines: 0 });
  });

  it("reads published listings whose tabs became spaces", () => {
    // From a public how-to (sendmail -bp on CentOS), whitespace as published.
    const text = [
      "                /var/spool/mqueue (2 requests)",
      "-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------",
      "u8T9idh4006507       27 Thu Sep 29 05:44 <user@example.com>",
      "                 (Deferred: Connection timed out with mailer.domain)",
      "                                         <differentemail@example.com>",
      "u8T9dlP7006496       62 Thu Sep 29 05:39 <user@example.com>",
      "                 (Deferred: Connection timed out with mailer.domain)",
      "                                         <differentemail@example.com>",
      "                Total requests: 2",
    ].join("\n");
    const snapshot = parseSendmailMailq(text, { nowUnixMs: Date.UTC(2016, 8, 29, 6, 0), ...UTC });
    expect(snapshot).toMatchObject({
      total: 2,
      byQueue: { "/var/spool/mqueue": 2 },
      oldestAgeSeconds: 21 * 60,
      topSenders: [{ key: "user@example.com", count: 2 }],
      topRecipientDomains: [{ key: "example.com", count: 2 }],
      skippedLines: 0,
    });
  });
});
