import { describe, expect, it } from "vitest";
import { tableName } from "./sql-literal.js";
import { dateTimeAt, inList, num, strings } from "./sql.js";

describe("sql helpers", () => {
  it("binds IN lists as tuples of escaped literals", () => {
    expect(inList(["a'b", "c\\d"])).toBe("('a\\'b', 'c\\\\d')");
    expect(inList([1, 2])).toBe("(1, 2)");
    expect(() => inList([])).toThrow("inList needs at least one value");
  });
  it("quotes table names and refuses bad identifiers", () => {
    expect(tableName("spamtrace", "alerts")).toBe("`spamtrace`.`alerts`");
    expect(() => tableName("x; DROP", "alerts")).toThrow('invalid identifier "x; DROP"');
  });
  it("renders times as unix seconds", () => {
    expect(dateTimeAt(1_700_000_000_999)).toBe("toDateTime(1700000000)");
  });
  it("normalises 18.16's string UInt64 and chdb's numbers", () => {
    expect(num("12")).toBe(12);
    expect(num(12)).toBe(12);
    expect(num(null)).toBe(0);
    expect(num("x")).toBe(0);
    expect(strings(["a", 1])).toEqual(["a", "1"]);
    expect(strings("a")).toEqual([]);
  });
});
