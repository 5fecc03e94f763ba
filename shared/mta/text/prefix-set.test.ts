import { describe, expect, it } from "vitest";
import { PrefixSet } from "./prefix-set.js";

describe("PrefixSet", () => {
  const prefixes = ["connect from ", "connect to ", "disconnect from ", "NOQUEUE: client=", "Überlauf ", "x", "a.b*c", "(x|y)", "[z] ", "😀 x"];
  const set = new PrefixSet(prefixes);
  const texts = ["connect from a[1.2.3.4]", "connect to b", "connect", "disconnect from", "disconnect from c", "NOQUEUE: client=d", "Überlauf 3", "xyz", "y", "", "😀 connect from ", "😀 x", "a.b*c!", "aXb*c", "(x|y) ", "x|y", "[z] 1", "z"];

  it("answers like checking every prefix with startsWith, at 0 and at an offset", () => {
    for (const t of texts) {
      expect(set.matchesAt(t)).toBe(prefixes.some((p) => t.startsWith(p)));
      const shifted = `warning: ${t}`;
      expect(set.matchesAt(shifted, 9)).toBe(prefixes.some((p) => shifted.startsWith(p, 9)));
    }
  });

  it("an offset past the end matches nothing", () => {
    expect(set.matchesAt("x", 5)).toBe(false);
  });

  it("an empty set matches nothing", () => {
    expect(new PrefixSet([]).matchesAt("anything")).toBe(false);
  });

  it("refuses the empty prefix", () => {
    expect(() => new PrefixSet(["a", ""])).toThrow("the empty prefix would match everything");
  });
});
