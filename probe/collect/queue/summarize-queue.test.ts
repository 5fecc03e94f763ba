import { describe, expect, it } from "vitest";
import { countOnlySnapshot, QueueSummarizer, recipientDomain, senderKey } from "./summarize-queue.js";
import { TopCounter } from "./top-counter.js";

describe("senderKey", () => {
  it.each([
    { input: "MAILER-DAEMON", output: "<>" },
    { input: "<>", output: "<>" },
    { input: "", output: "<>" },
    { input: "#@[]", output: "<>" },
    { input: "<#@[]>", output: "<>" },
    { input: "<Alice@Example.COM>", output: "alice@example.com" },
    { input: "www-data", output: "www-data" },
  ])("$input", ({ input, output }) => {
    expect(senderKey(input)).toBe(output);
  });
});

describe("recipientDomain", () => {
  it.each([
    { input: "bob@Remote.Example", output: "remote.example" },
    { input: "<bob@remote.example.>", output: "remote.example" },
    { input: '"a@b"@c.example', output: "c.example" },
    { input: "postmaster", output: "(local)" },
    { input: "x@", output: "(local)" },
  ])("$input", ({ input, output }) => {
    expect(recipientDomain(input)).toBe(output);
  });
});

describe("QueueSummarizer", () => {
  it("keeps the top 10 and the oldest age from arrival times or ages", () => {
    const summary = new QueueSummarizer("postfix", "test", 100_000, ["deferred"]);
    for (let i = 0; i < 12; i += 1) {
      for (let n = 0; n <= i; n += 1) summary.add({ queue: "deferred", sender: `s${String(i).padStart(2, "0")}@x`, recipients: [`r@d${i}.example`], frozenOrHeld: false });
    }
    summary.add({ queue: "deferred", sender: "old@x", recipients: [], arrivalUnixMs: 40_000, frozenOrHeld: false });
    summary.add({ queue: "deferred", sender: "older@x", recipients: [], ageSeconds: 61, frozenOrHeld: false });
    const snapshot = summary.finish();
    expect(snapshot.topSenders.map((s) => s.key)).toEqual(["s11@x", "s10@x", "s09@x", "s08@x", "s07@x", "s06@x", "s05@x", "s04@x", "s03@x", "s02@x"]);
    expect(snapshot.topRecipientDomains[0]).toEqual({ key: "d11.example", count: 12 });
    expect(snapshot.oldestAgeSeconds).toBe(61);
    expect(snapshot.total).toBe(80);
  });
});

describe("countOnlySnapshot", () => {
  it("marks the snapshot incomplete and leaves details empty", () => {
    expect(countOnlySnapshot("exim", "exim -bpc", 5, 1200, {})).toEqual({
      mta: "exim",
      source: "exim -bpc",
      complete: false,
      total: 1200,
      byQueue: {},
      frozenOrHeld: 0,
      oldestAgeSeconds: null,
      nullSender: 0,
      recipients: 0,
      topSenders: [],
      topRecipientDomains: [],
      skippedLines: 0,
      observedAtUnixMs: 5,
    });
  });
});

describe("TopCounter", () => {
  it("keeps heavy hitters exact through prunes of a flood of one-off keys", () => {
    const counter = new TopCounter(100, 10);
    for (let i = 0; i < 5000; i += 1) {
      counter.add(`forged-${i}@x`);
      if (i % 10 === 0) counter.add("spammer@x");
      if (i % 50 === 0) counter.add("second@x");
    }
    expect(counter.top(2)).toEqual([
      { key: "spammer@x", count: 500 },
      { key: "second@x", count: 100 },
    ]);
  });
});
