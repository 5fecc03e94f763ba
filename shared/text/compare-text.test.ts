import { describe, expect, it } from "vitest";
import { compareText } from "./compare-text.js";

describe("compareText", () => {
  it("orders by code units: capitals before small letters, a prefix first, equal strings 0", () => {
    expect(["b", "a", "B", "ab", "a"].sort(compareText)).toEqual(["B", "a", "a", "ab", "b"]);
    expect(compareText("x", "x")).toBe(0);
    expect(compareText("/etc/php/8.2/fpm", "/etc/php/8.2")).toBe(1);
  });
});
