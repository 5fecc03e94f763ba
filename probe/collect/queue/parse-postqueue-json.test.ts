import { describe, expect, it } from "vitest";
import { parsePostqueueJson } from "./parse-postqueue-json.js";
import { corpusText, fixtureText } from "./queue-test-files.test-support.js";

const LAB_NOW_MS = 1795943143_000;

describe("parsePostqueueJson", () => {
  it("summarises a real Postfix 3.7 queue with a bounce, several recipients and a held message", () => {
    expect(parsePostqueueJson(fixtureText("postfix-postqueue-j-lab.jsonl"), LAB_NOW_MS)).toEqual({
      mta: "postfix",
      source: "postqueue -j",
      complete: true,
      total: 3,
      byQueue: { active: 0, deferred: 2, hold: 1, incoming: 0, maildrop: 0 },
      frozenOrHeld: 1,
      oldestAgeSeconds: 1795943143 - 1795942944,
      nullSender: 1,
      recipients: 5,
      topSenders: [
        { key: "<>", count: 1 },
        { key: "alice@probe-lab.example", count: 1 },
        { key: "dave@probe-lab.example", count: 1 },
      ],
      topRecipientDomains: [
        { key: "x.example", count: 2 },
        { key: "other.example", count: 1 },
        { key: "remote.example", count: 1 },
        { key: "y.example", count: 1 },
      ],
      skippedLines: 0,
      observedAtUnixMs: LAB_NOW_MS,
    });
  });

  it("counts the maildrop queue of a stopped Postfix", () => {
    const snapshot = parsePostqueueJson(fixtureText("postfix-postqueue-j-down-lab.jsonl"), LAB_NOW_MS);
    expect(snapshot.byQueue).toEqual({ active: 0, deferred: 2, hold: 1, incoming: 0, maildrop: 1 });
    expect(snapshot.total).toBe(4);
    // The maildrop message arrived a second after the listing's "now": ages never go negative.
    expect(snapshot.oldestAgeSeconds).toBe(199);
  });

  it.skipIf(corpusText("queue/postfix-postqueue-j-postqf-qdata.jsonl") === null)(
    "summarises postqf's real postqueue -j sample (active messages with up to 49 recipients)",
    () => {
      const text = corpusText("queue/postfix-postqueue-j-postqf-qdata.jsonl") ?? "";
      const snapshot = parsePostqueueJson(text, 1642850000_000);
      expect(snapshot).toMatchObject({
        total: 5,
        byQueue: { active: 5, deferred: 0, hold: 0, incoming: 0, maildrop: 0 },
        frozenOrHeld: 0,
        oldestAgeSeconds: 1642850000 - 1642672950,
        nullSender: 0,
        recipients: 98,
        skippedLines: 0,
      });
      expect(snapshot.topSenders).toEqual([
        { key: "fummo@example.org", count: 2 },
        { key: "dieter.bueschken@example.org", count: 1 },
        { key: "heidschnucke70@example.org", count: 1 },
        { key: "manueldx@example.org", count: 1 },
      ]);
      expect(snapshot.topRecipientDomains).toEqual([
        { key: "example.com", count: 95 },
        { key: "example.org", count: 2 },
        { key: "9gmail.com", count: 1 },
      ]);
    },
  );

  it.each([
    { name: "empty output (empty queue)", input: "", total: 0, skipped: 0 },
    { name: "a truncated line", input: '{"queue_name": "deferred", "queue_id": "8458F17013D", "arri', total: 0, skipped: 1 },
    { name: "JSON that is not a message", input: '[1,2]\n"x"\n{"queue_name": 3, "sender": "a", "recipients": []}', total: 0, skipped: 3 },
    {
      name: "a message without arrival_time or addresses",
      input: '{"queue_name": "incoming", "sender": "", "recipients": [{"delay_reason": "x"}, null]}',
      total: 1,
      skipped: 0,
    },
  ])("$name", ({ input, total, skipped }) => {
    const snapshot = parsePostqueueJson(input, LAB_NOW_MS);
    expect(snapshot.total).toBe(total);
    expect(snapshot.skippedLines).toBe(skipped);
  });

  it("treats an empty sender like MAILER-DAEMON", () => {
    const snapshot = parsePostqueueJson('{"queue_name": "incoming", "sender": "", "recipients": []}', LAB_NOW_MS);
    expect(snapshot.nullSender).toBe(1);
    expect(snapshot.oldestAgeSeconds).toBeNull();
  });
});
