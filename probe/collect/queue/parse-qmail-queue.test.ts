import { describe, expect, it } from "vitest";
import { parseQmailQread, parseQmailQstat } from "./parse-qmail-queue.js";
import { fixtureText } from "./queue-test-files.test-support.js";

describe("parseQmailQread", () => {
  it("reads entries, bounces, double bounces and delivered recipients, and counts warnings", () => {
    const now = Date.UTC(2026, 10, 29, 7, 0, 0);
    expect(parseQmailQread(fixtureText("qmail-qread.txt"), now)).toEqual({
      mta: "qmail",
      source: "qmail-qread",
      complete: true,
      total: 3,
      byQueue: { queued: 3 },
      frozenOrHeld: 0,
      oldestAgeSeconds: (now - Date.UTC(2026, 10, 5, 9, 7, 0)) / 1000,
      nullSender: 2,
      recipients: 4,
      topSenders: [
        { key: "<>", count: 2 },
        { key: "newsletter@shop.example", count: 1 },
      ],
      topRecipientDomains: [
        { key: "bounce.example", count: 1 },
        { key: "mx.example.net", count: 1 },
        { key: "other.example", count: 1 },
        { key: "remote.example", count: 1 },
      ],
      skippedLines: 1,
      observedAtUnixMs: now,
    });
  });
});

describe("parseQmailQstat", () => {
  it.each([
    { input: fixtureText("qmail-qstat.txt"), output: { total: 4, todo: 1 } },
    { input: "messages in queue: 0\nmessages in queue but not yet preprocessed: 0\n", output: { total: 0, todo: 0 } },
    { input: "find: 'queue/mess': Permission denied\n", output: null },
  ])("$output", ({ input, output }) => {
    expect(parseQmailQstat(input)).toEqual(output);
  });
});
