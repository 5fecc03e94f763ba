import { describe, expect, it } from "vitest";
import { addColumnStatement, dialectFor, isColumnAlreadyAdded, lowCardinalityString, ttlClause, type Dialect } from "./dialect.js";

describe("dialectFor", () => {
  it.each<{ input: string; output: Omit<Dialect, "version"> }>([
    { input: "18.16.1", output: { ttl: false, lowCardinality: false, addColumnIfNotExists: false } },
    { input: "19.3.0", output: { ttl: false, lowCardinality: false, addColumnIfNotExists: true } },
    { input: "19.6.1.1", output: { ttl: true, lowCardinality: false, addColumnIfNotExists: true } },
    { input: "19.9.2", output: { ttl: true, lowCardinality: true, addColumnIfNotExists: true } },
    { input: "19.10.1", output: { ttl: true, lowCardinality: true, addColumnIfNotExists: true } },
    { input: "20.1.2.4", output: { ttl: true, lowCardinality: true, addColumnIfNotExists: true } },
    { input: "21.8.1", output: { ttl: true, lowCardinality: true, addColumnIfNotExists: true } },
    { input: "26.7.2.1", output: { ttl: true, lowCardinality: true, addColumnIfNotExists: true } },
    { input: "garbage", output: { ttl: false, lowCardinality: false, addColumnIfNotExists: false } },
    { input: "", output: { ttl: false, lowCardinality: false, addColumnIfNotExists: false } },
  ])("$input", ({ input, output }) => {
    expect(dialectFor(input)).toEqual({ version: input, ...output });
  });
});

describe("lowCardinalityString", () => {
  it.each([
    { input: "18.16.1", output: "String" },
    { input: "19.6.1.1", output: "String" },
    { input: "19.9.2", output: "LowCardinality(String)" },
    { input: "26.7.2.1", output: "LowCardinality(String)" },
    { input: "garbage", output: "String" },
  ])("$input", ({ input, output }) => {
    expect(lowCardinalityString(dialectFor(input))).toBe(output);
  });
});

describe("ttlClause", () => {
  it.each<{ input: [string, string, number]; output: string }>([
    { input: ["18.16.1", "observed_at", 180], output: "" },
    { input: ["19.6.1.1", "observed_at", 180], output: "TTL observed_at + INTERVAL 180 DAY" },
    { input: ["26.7.2.1", "received_at", 1], output: "TTL received_at + INTERVAL 1 DAY" },
    { input: ["26.7.2.1", "received_at", 7.9], output: "TTL received_at + INTERVAL 7 DAY" },
    { input: ["26.7.2.1", "received_at", 0], output: "" },
    { input: ["garbage", "observed_at", 180], output: "" },
  ])("$input", ({ input: [version, column, days], output }) => {
    expect(ttlClause(dialectFor(version), column, days)).toBe(output);
  });
});

describe("addColumnStatement and isColumnAlreadyAdded", () => {
  it("adds IF NOT EXISTS where the server has it (>= 19.3), not on 18.16", () => {
    expect(addColumnStatement(dialectFor("26.7.2.1"), "`db`.`t`", "c", "UInt32", "b")).toBe("ALTER TABLE `db`.`t` ADD COLUMN IF NOT EXISTS c UInt32 AFTER b");
    expect(addColumnStatement(dialectFor("18.16.1"), "`db`.`t`", "c", "UInt32")).toBe("ALTER TABLE `db`.`t` ADD COLUMN c UInt32");
  });

  it("takes only 18.16's duplicate-column answer to that statement's own column as done", () => {
    const statement = addColumnStatement(dialectFor("18.16.1"), "`db`.`t`", "c", "UInt32", "b");
    const duplicate = new Error("Code: 44, e.displayText() = DB::Exception: Cannot add column c: column with this name already exists, e.what() = DB::Exception");
    expect(isColumnAlreadyAdded(statement, duplicate)).toBe(true);
    expect(isColumnAlreadyAdded(statement, new Error("Cannot add column d: column with this name already exists"))).toBe(false);
    expect(isColumnAlreadyAdded(statement, new Error("Code: 60, e.displayText() = DB::Exception: Table db.t doesn't exist."))).toBe(false);
    expect(isColumnAlreadyAdded("CREATE TABLE t (c UInt32) ENGINE = Memory", duplicate)).toBe(false);
  });
});
