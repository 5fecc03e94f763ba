import { describe, expect, it } from "vitest";
import { parseEximBp, parseEximBpc } from "./parse-exim-bp.js";
import { corpusText, fixtureText } from "./queue-test-files.test-support.js";

const NOW_MS = 1795943400_000;

describe("parseEximBp", () => {
  it("summarises a real Exim 4.96 queue: ages in m/h/d, a bounce, a frozen message, a delivered recipient", () => {
    expect(parseEximBp(fixtureText("exim-bp-debian-4.96-lab.txt"), NOW_MS)).toEqual({
      mta: "exim",
      source: "exim -bp",
      complete: true,
      total: 4,
      byQueue: { queued: 3, frozen: 1 },
      frozenOrHeld: 1,
      oldestAgeSeconds: 3 * 86400,
      nullSender: 1,
      recipients: 6,
      topSenders: [
        { key: "<>", count: 1 },
        { key: "alice@exim-lab.example", count: 1 },
        { key: "spam@exim-lab.example", count: 1 },
        { key: "web@exim-lab.example", count: 1 },
      ],
      topRecipientDomains: [
        { key: "remote.example", count: 4 },
        { key: "other.example", count: 1 },
        { key: "third.example", count: 1 },
      ],
      skippedLines: 0,
      observedAtUnixMs: NOW_MS,
    });
  });

  it("counts messages whose header file Exim cannot read, without inventing senders", () => {
    const snapshot = parseEximBp(fixtureText("exim-bp-spool-format-error-lab.txt"), NOW_MS);
    expect(snapshot).toMatchObject({ total: 4, byQueue: { queued: 4, frozen: 0 }, nullSender: 0, recipients: 0, topSenders: [], skippedLines: 4 });
    expect(snapshot.oldestAgeSeconds).toBeNull();
  });

  it.skipIf(corpusText("queue/exim-bp-testsuite-9400.txt") === null)("reads Exim's test-suite listing (sizes normalised to sss)", () => {
    const snapshot = parseEximBp(corpusText("queue/exim-bp-testsuite-9400.txt") ?? "", NOW_MS);
    expect(snapshot).toMatchObject({
      total: 3,
      byQueue: { queued: 2, frozen: 1 },
      frozenOrHeld: 1,
      oldestAgeSeconds: 0,
      topSenders: [{ key: "test-local-scan@y", count: 3 }],
      topRecipientDomains: [{ key: "test.ex", count: 2 }, { key: "myhost.test.ex", count: 1 }],
      skippedLines: 0,
    });
  });

  it.skipIf(corpusText("queue/exim-bp-cheatsheet-example.txt") === null)("reads the cheat-sheet example with 1.2K/22K sizes and 62h/4d ages", () => {
    const snapshot = parseEximBp(corpusText("queue/exim-bp-cheatsheet-example.txt") ?? "", NOW_MS);
    expect(snapshot).toMatchObject({ total: 3, oldestAgeSeconds: 4 * 86400, recipients: 3, skippedLines: 0 });
    expect(snapshot.topRecipientDomains).toEqual([{ key: "example.com", count: 3 }]);
  });

  it.skipIf(corpusText("queue/exim-bp-spec-example.txt") === null)("reads the specification's example", () => {
    const snapshot = parseEximBp(corpusText("queue/exim-bp-spec-example.txt") ?? "", NOW_MS);
    expect(snapshot).toMatchObject({ total: 1, oldestAgeSeconds: 25 * 60, topSenders: [{ key: "alice@wonderland.fict.example", count: 1 }] });
  });

  it("reads Exim 4.97+ long message ids and -bpa child addresses", () => {
    const text = "  2h  1.2K 1xXaqX-00000004QJ-0038 <a@b.example>\n          r1@c.example\n        D r2@c.example\n       +D r3@c.example\n";
    expect(parseEximBp(text, NOW_MS)).toMatchObject({ total: 1, recipients: 1, oldestAgeSeconds: 7200, skippedLines: 0 });
  });
});

describe("parseEximBpc", () => {
  it.each([
    { input: "4\n", output: 4 },
    { input: "0\n", output: 0 },
    { input: "exim: permission denied\n", output: null },
    { input: "", output: null },
  ])("$input", ({ input, output }) => {
    expect(parseEximBpc(input)).toBe(output);
  });

  it("reads the real -bpc of the lab queue", () => {
    expect(parseEximBpc(fixtureText("exim-bpc-lab.txt"))).toBe(4);
  });
});
