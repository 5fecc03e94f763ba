import { describe, expect, it } from "vitest";
import { splitLines } from "./split-lines.js";

describe("splitLines", () => {
  it.each([
    { name: "complete lines", input: "a\nbc\n", final: false, full: false, lines: ["a", "bc"], consumed: 5, oversized: 0 },
    { name: "a partial last line is left", input: "a\nbc", final: false, full: false, lines: ["a"], consumed: 2, oversized: 0 },
    { name: "a final partial line is taken", input: "a\nbc", final: true, full: false, lines: ["a", "bc"], consumed: 4, oversized: 0 },
    { name: "a full chunk without newline is cut", input: "abcd", final: false, full: true, lines: ["abcd"], consumed: 4, oversized: 1 },
    { name: "a full chunk with a newline keeps its tail", input: "ab\ncd", final: false, full: true, lines: ["ab"], consumed: 3, oversized: 0 },
    { name: "empty lines", input: "\n\nx\n", final: false, full: false, lines: ["", "", "x"], consumed: 4, oversized: 0 },
    { name: "multi-byte UTF-8 stays whole", input: "é€\n", final: false, full: false, lines: ["é€"], consumed: 6, oversized: 0 },
  ])("$name", ({ input, final, full, lines, consumed, oversized }) => {
    expect(splitLines(Buffer.from(input), { final, chunkIsFull: full })).toEqual({ lines, consumed, oversized });
  });
});
