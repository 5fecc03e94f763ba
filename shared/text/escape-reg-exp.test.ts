import { describe, expect, it } from "vitest";
import { escapeRegExp } from "./escape-reg-exp.js";

describe("escapeRegExp", () => {
  it("makes every special character literal", () => {
    const s = "a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o/p";
    expect(new RegExp(`^${escapeRegExp(s)}$`).test(s)).toBe(true);
    expect(new RegExp(`^${escapeRegExp("a.b")}$`).test("axb")).toBe(false);
  });
});
