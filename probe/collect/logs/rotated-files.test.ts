import { describe, expect, it } from "vitest";
import { mergeByAge, orderRotatedNames } from "./rotated-files.js";

describe("orderRotatedNames", () => {
  it("orders numbered files oldest first and prefers the plain file of a slot being compressed", () => {
    const names = ["mail.log", "mail.log.1", "mail.log.2.gz", "mail.log.10.gz", "mail.log.3", "mail.log.3.gz", "mail.err", "mail.log.0", "mail.log.4.bz2", "xmail.log.1"];
    expect(orderRotatedNames("mail.log", names)).toEqual({
      date: [],
      number: [
        { name: "mail.log.10.gz", compressed: true, scheme: "number" },
        { name: "mail.log.3", compressed: false, scheme: "number" },
        { name: "mail.log.2.gz", compressed: true, scheme: "number" },
        { name: "mail.log.1", compressed: false, scheme: "number" },
        { name: "mail.log.0", compressed: false, scheme: "number" },
      ],
    });
  });

  it("orders dated names: logrotate dateext and Postfix's postfix logrotate suffix", () => {
    const names = ["maillog-20261129.gz", "maillog-20261122", "maillog-2026112900", "maillog.20261129-100457.gz", "maillog-20261115-1700000000.gz"];
    expect(orderRotatedNames("maillog", names).date.map((n) => n.name)).toEqual([
      "maillog-20261115-1700000000.gz",
      "maillog-20261122",
      "maillog-20261129.gz",
      "maillog.20261129-100457.gz",
      "maillog-2026112900",
    ]);
  });

  it("escapes the base name", () => {
    expect(orderRotatedNames("exim_mainlog", ["exim_mainlog.1", "eximXmainlog.1"]).number.map((n) => n.name)).toEqual(["exim_mainlog.1"]);
    expect(orderRotatedNames("a.log", ["aXlog.1", "a.log.1"]).number.map((n) => n.name)).toEqual(["a.log.1"]);
  });
});

describe("mergeByAge", () => {
  it("interleaves two ordered lists by age, keeping each list's order", () => {
    const age: Record<string, number> = { "n.3": 1, "n.2": 5, "n.1": 9, "d-1": 3, "d-2": 7 };
    expect(mergeByAge(["d-1", "d-2"], ["n.3", "n.2", "n.1"], (x) => age[x] ?? 0)).toEqual(["n.3", "d-1", "n.2", "d-2", "n.1"]);
  });
});
