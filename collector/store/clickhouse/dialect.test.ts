import { describe, expect, it } from "vitest";
import { dialectFor, lowCardinalityString, ttlClause, type Dialect } from "./dialect.js";

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
