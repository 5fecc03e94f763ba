import { describe, expect, it } from "vitest";
import { bindSql, qualifiedTable, quoteIdentifier, quoteString, sqlLiteral, type SqlValue } from "./sql-literal.js";

describe("quoteString", () => {
  it.each([
    { name: "plain", input: "web1", output: "'web1'" },
    { name: "empty", input: "", output: "''" },
    { name: "single quote", input: "O'Brien", output: "'O\\'Brien'" },
    { name: "quote-terminating attempt", input: "x' OR 1=1 --", output: "'x\\' OR 1=1 --'" },
    { name: "backslash", input: "C:\\temp\\", output: "'C:\\\\temp\\\\'" },
    { name: "backslash before quote cannot unescape it", input: "\\'", output: "'\\\\\\''" },
    { name: "NUL", input: "a\0b", output: "'a\\x00b'" },
    { name: "newline, carriage return, tab", input: "a\nb\rc\td", output: "'a\\x0ab\\x0dc\\x09d'" },
    { name: "other control characters and DEL", input: "\x01\x1b\x1f\x7f", output: "'\\x01\\x1b\\x1f\\x7f'" },
    { name: "double quote and backtick stay", input: "\"`", output: "'\"`'" },
    { name: "placeholder syntax is data", input: "{x:String} {name}", output: "'{x:String} {name}'" },
    { name: "emoji (astral code point) kept whole", input: "spam 📧✉️", output: "'spam 📧✉️'" },
    { name: "non-ASCII letters", input: "Müller Ω ж", output: "'Müller Ω ж'" },
  ])("$name", ({ input, output }) => {
    expect(quoteString(input)).toBe(output);
  });

  it("quotes a 1 MB hostile string in linear size: only the escapes grow", () => {
    const input = "a'b\\c\n".repeat(200_000);
    const quoted = quoteString(input);
    expect(quoted.length).toBe(2 + 200_000 * (1 + 2 + 1 + 2 + 1 + 4));
    expect(quoted.startsWith("'a\\'b\\\\c\\x0aa\\'b")).toBe(true);
    expect(quoted.endsWith("c\\x0a'")).toBe(true);
  });

  it("never leaves an unescaped quote, backslash or control character inside", () => {
    const everyByte = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join("");
    const inner = quoteString(everyByte).slice(1, -1);
    // Removing every escape sequence must leave no quote, backslash or control character.
    const rest = inner.replace(/\\x[0-9a-f]{2}|\\\\|\\'/g, "");
    expect(rest).toMatch(/^[\x20-\x7e]*$/);
    expect(rest).not.toMatch(/['\\]/);
  });
});

describe("sqlLiteral", () => {
  it.each<{ name: string; input: SqlValue; output: string }>([
    { name: "null", input: null, output: "NULL" },
    { name: "true", input: true, output: "1" },
    { name: "false", input: false, output: "0" },
    { name: "integer", input: 42, output: "42" },
    { name: "negative fraction", input: -1.5, output: "-1.5" },
    { name: "zero", input: 0, output: "0" },
    { name: "bigint above 2^53", input: 18446744073709551615n, output: "18446744073709551615" },
    { name: "negative bigint", input: -9007199254740993n, output: "-9007199254740993" },
    { name: "string", input: "it's", output: "'it\\'s'" },
    { name: "empty array", input: [], output: "[]" },
    { name: "array of strings", input: ["a", "b'c"], output: "['a', 'b\\'c']" },
    { name: "nested mixed array", input: [[1, 2n], [null, true], ["x"]], output: "[[1, 2], [NULL, 1], ['x']]" },
  ])("$name", ({ input, output }) => {
    expect(sqlLiteral(input)).toBe(output);
  });

  it.each([
    { input: Number.NaN, error: "cannot bind non-finite number NaN" },
    { input: Number.POSITIVE_INFINITY, error: "cannot bind non-finite number Infinity" },
    { input: Number.NEGATIVE_INFINITY, error: "cannot bind non-finite number -Infinity" },
  ])("refuses $input", ({ input, error }) => {
    expect(() => sqlLiteral(input)).toThrow(new RangeError(error));
    expect(() => sqlLiteral([1, input])).toThrow(new RangeError(error));
  });
});

describe("quoteIdentifier", () => {
  it.each<{ input: string; output?: string; error?: string }>([
    { input: "socket_snapshots", output: "`socket_snapshots`" },
    { input: "_x9", output: "`_x9`" },
    { input: "Spamtrace", output: "`Spamtrace`" },
    { input: "", error: 'invalid identifier ""' },
    { input: "9lives", error: 'invalid identifier "9lives"' },
    { input: "spam-trace", error: 'invalid identifier "spam-trace"' },
    { input: "a.b", error: 'invalid identifier "a.b"' },
    { input: "a`b", error: 'invalid identifier "a`b"' },
    { input: "x; DROP TABLE y", error: 'invalid identifier "x; DROP TABLE y"' },
    { input: "tbl\n", error: 'invalid identifier "tbl\\n"' },
    { input: "таблица", error: 'invalid identifier "таблица"' },
  ])("$input", ({ input, output, error }) => {
    if (error === undefined) expect(quoteIdentifier(input)).toBe(output);
    else expect(() => quoteIdentifier(input)).toThrow(new RangeError(error));
  });
});

describe("qualifiedTable", () => {
  it.each<{ input: [string, string]; output?: string; error?: string }>([
    { input: ["spamtrace", "hosts"], output: "spamtrace.hosts" },
    { input: ["db_1", "_t"], output: "db_1._t" },
    { input: ["spam trace", "hosts"], error: 'invalid identifier "spam trace"' },
    { input: ["spamtrace", "hosts; DROP DATABASE spamtrace"], error: 'invalid identifier "hosts; DROP DATABASE spamtrace"' },
    { input: ["", "hosts"], error: 'invalid identifier ""' },
  ])("$input", ({ input, output, error }) => {
    if (error === undefined) expect(qualifiedTable(...input)).toBe(output);
    else expect(() => qualifiedTable(...input)).toThrow(new RangeError(error));
  });
});

describe("bindSql", () => {
  it.each<{ name: string; input: [string, Record<string, SqlValue>]; output?: string; error?: string }>([
    {
      name: "binds each placeholder",
      input: ["SELECT * FROM t WHERE host_id = {host} AND seq > {seq} AND ok = {ok}", { host: "web1", seq: 5n, ok: true }],
      output: "SELECT * FROM t WHERE host_id = 'web1' AND seq > 5 AND ok = 1",
    },
    {
      name: "same placeholder twice",
      input: ["{a} + {a}", { a: 1 }],
      output: "1 + 1",
    },
    {
      name: "a bound value holding a placeholder is not substituted again",
      input: ["SELECT {a}, {b}", { a: "{b}", b: "x'" }],
      output: "SELECT '{b}', 'x\\''",
    },
    {
      name: "a bound value holding server-side parameter syntax stays data",
      input: ["SELECT {a}", { a: "{x:String}" }],
      output: "SELECT '{x:String}'",
    },
    {
      name: "server-side parameter syntax in the SQL is not a placeholder",
      input: ["SELECT {x:String}, {a}", { a: 1 }],
      output: "SELECT {x:String}, 1",
    },
    {
      name: "hostile value: quote, backslash, NUL, newline, comment",
      input: ["INSERT INTO t VALUES ({v})", { v: "'); DROP TABLE t; --\\\0\n" }],
      output: "INSERT INTO t VALUES ('\\'); DROP TABLE t; --\\\\\\x00\\x0a')",
    },
    { name: "null and arrays", input: ["{n}, {arr}", { n: null, arr: ["a", 1, null] }], output: "NULL, ['a', 1, NULL]" },
    { name: "no placeholders", input: ["SELECT 1", {}], output: "SELECT 1" },
    { name: "unused values are fine", input: ["SELECT 1", { a: 1 }], output: "SELECT 1" },
    { name: "missing value", input: ["SELECT {a}, {b}", { a: 1 }], error: "no value bound for {b}" },
    {
      name: "inherited properties are not values",
      input: ["SELECT {toString}", {}],
      error: "no value bound for {toString}",
    },
    { name: "non-finite value", input: ["SELECT {a}", { a: Number.NaN }], error: "cannot bind non-finite number NaN" },
  ])("$name", ({ input, output, error }) => {
    if (error === undefined) expect(bindSql(...input)).toBe(output);
    else expect(() => bindSql(...input)).toThrow(new RangeError(error));
  });
});
