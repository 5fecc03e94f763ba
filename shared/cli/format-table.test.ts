import { describe, expect, it } from "vitest";
import { formatTable } from "./format-table.js";

describe("formatTable", () => {
  it.each([
    { name: "pads columns to the widest cell, trims line ends", header: ["A", "LONGER"], rows: [["xyz", "1"], ["q", ""]], opts: {}, output: "A    LONGER\nxyz  1\nq\n" },
    { name: "a rule under the header", header: ["n"], rows: [["12"]], opts: { rule: true }, output: "n\n--\n12\n" },
    { name: "clips long cells", header: ["v"], rows: [["abcdefghij"]], opts: { rule: true, maxCellChars: 6 }, output: "v\n------\nabc...\n" },
    { name: "no rows: the header alone", header: ["x", "y"], rows: [], opts: {}, output: "x  y\n" },
  ])("$name", ({ header, rows, opts, output }) => {
    expect(formatTable(header, rows, opts)).toBe(output);
  });
});
