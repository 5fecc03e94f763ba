import { describe, expect, it } from "vitest";
import { parsePostqueueJson } from "./parse-postqueue-json.js";
import { parsePostqueueText } from "./parse-postqueue-text.js";
import { corpusText, fixtureText } from "./queue-test-files.test-support.js";

const UTC = { utcOffsetMinutes: 0 };
const LAB_NOW_MS = 1795943143_000;

describe("parsePostqueueText", () => {
  it("agrees with postqueue -j on the same real queue (the lab host runs in UTC)", () => {
    const text = parsePostqueueText(fixtureText("postfix-postqueue-p-lab.txt"), { nowUnixMs: LAB_NOW_MS, ...UTC });
    const json = parsePostqueueJson(fixtureText("postfix-postqueue-j-lab.jsonl"), LAB_NOW_MS);
    expect(text).toEqual({ ...json, source: "postqueue -p" });
  });

  it("counts a stopped Postfix's maildrop message as deferred: the text format does not tell them apart", () => {
    const snapshot = parsePostqueueText(fixtureText("postfix-postqueue-p-down-lab.txt"), { nowUnixMs: LAB_NOW_MS, ...UTC });
    expect(snapshot.byQueue).toEqual({ active: 0, deferred: 3, hold: 1, incoming: 0, maildrop: 0 });
    expect(snapshot.total).toBe(4);
  });

  it.skipIf(corpusText("queue/postfix-postqueue-p-digineo-showq.txt") === null)(
    "reads digineo's showq sample: active marks, reasons starting at column 0 or indented",
    () => {
      const now = Date.UTC(2020, 1, 24, 14, 0, 0); // Monday 24 Feb 2020, the sample's last day
      const snapshot = parsePostqueueText(corpusText("queue/postfix-postqueue-p-digineo-showq.txt") ?? "", { nowUnixMs: now, ...UTC });
      expect(snapshot).toMatchObject({
        total: 24,
        byQueue: { active: 16, deferred: 8, hold: 0, incoming: 0, maildrop: 0 },
        frozenOrHeld: 0,
        oldestAgeSeconds: (now - Date.UTC(2020, 1, 21, 13, 31, 58)) / 1000,
        nullSender: 0,
        recipients: 24,
        topSenders: [{ key: "sender@example.com", count: 24 }],
        skippedLines: 0,
      });
      expect(snapshot.topRecipientDomains.slice(0, 3)).toEqual([
        { key: "lerum.se", count: 12 },
        { key: "gmail.com", count: 5 },
        { key: "edu.halmstad.se", count: 1 },
      ]);
    },
  );

  it.skipIf(corpusText("queue/postfix-mailq-pymailq.sample") === null)("reads pymailq's mailq sample with a held message across New Year", () => {
    const now = Date.UTC(2017, 7, 1);
    const snapshot = parsePostqueueText(corpusText("queue/postfix-mailq-pymailq.sample") ?? "", { nowUnixMs: now, ...UTC });
    expect(snapshot).toMatchObject({
      total: 30,
      byQueue: { active: 0, deferred: 29, hold: 1, incoming: 0, maildrop: 0 },
      frozenOrHeld: 1,
      // "Mon Dec 31 16:16:12" cannot be in 2017's future: it is from December 2016.
      oldestAgeSeconds: (now - Date.UTC(2016, 11, 31, 16, 16, 12)) / 1000,
      recipients: 30,
      topRecipientDomains: [{ key: "test-domain.tld", count: 30 }],
      skippedLines: 0,
    });
    expect(snapshot.topSenders).toEqual([
      { key: "sender-9@testsend_domain.tld", count: 6 },
      { key: "sender-1@testsend_domain.tld", count: 4 },
      { key: "sender-5@testsend_domain.tld", count: 4 },
      { key: "sender-6@testsend_domain.tld", count: 4 },
      { key: "sender-2@testsend_domain.tld", count: 3 },
      { key: "sender-4@testsend_domain.tld", count: 3 },
      { key: "sender-7@testsend_domain.tld", count: 3 },
      { key: "sender-3@testsend_domain.tld", count: 2 },
      { key: "sender-0@testsend_domain.tld", count: 1 },
    ]);
  });

  it.each([
    { name: "the empty queue", input: "Mail queue is empty\n", total: 0, skipped: 0 },
    {
      name: "a day padded with a space and a forced-expire mark",
      input: "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\nA1B2C3D4E5#     999 Sat Nov  7 01:02:03  x@y.example\n                                         r@z.example\n\n-- 1 Kbytes in 1 Request.\n",
      total: 1,
      skipped: 0,
    },
    { name: "garbage", input: "postqueue: warning: something odd\nrecipient-without-entry@x\n", total: 0, skipped: 2 },
  ])("$name", ({ input, total, skipped }) => {
    const snapshot = parsePostqueueText(input, { nowUnixMs: LAB_NOW_MS, ...UTC });
    expect(snapshot.total).toBe(total);
    expect(snapshot.skippedLines).toBe(skipped);
  });
});
