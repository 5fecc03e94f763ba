import { describe, expect, it } from "vitest";
import { checkReadOnlySql } from "./check-read-only-sql.js";

const ONLY_READ_ONLY = "only read-only queries are allowed (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN)";
const ONE_STATEMENT = "only one statement per query";
const NO_SETTINGS = "a SETTINGS clause is not allowed in read-only queries";

describe("checkReadOnlySql", () => {
  it.each([
    { name: "SELECT", input: "SELECT 1", output: "SELECT 1" },
    { name: "lower case", input: "select host_id from spamtrace.hosts", output: "select host_id from spamtrace.hosts" },
    { name: "WITH", input: "WITH 1 AS x SELECT x", output: "WITH 1 AS x SELECT x" },
    { name: "SHOW", input: "SHOW TABLES FROM spamtrace", output: "SHOW TABLES FROM spamtrace" },
    { name: "DESCRIBE", input: "DESCRIBE TABLE spamtrace.hosts", output: "DESCRIBE TABLE spamtrace.hosts" },
    { name: "DESC", input: "desc spamtrace.hosts", output: "desc spamtrace.hosts" },
    { name: "EXISTS", input: "EXISTS TABLE spamtrace.hosts", output: "EXISTS TABLE spamtrace.hosts" },
    { name: "EXPLAIN", input: "EXPLAIN SELECT 1", output: "EXPLAIN SELECT 1" },
    { name: "trailing semicolon and blanks removed", input: "  SELECT 1 ;  \n", output: "SELECT 1" },
    { name: "leading line comment", input: "-- hosts seen today\nSELECT 1", output: "SELECT 1" },
    { name: "block comment", input: "/* who\n sends */ SELECT /* inline */ 1", output: "SELECT   1" },
    { name: "comment after the semicolon", input: "SELECT 1; -- done", output: "SELECT 1" },
    { name: "semicolon inside a string", input: "SELECT ';' AS s", output: "SELECT ';' AS s" },
    { name: "semicolon inside a quoted identifier", input: 'SELECT 1 AS "a;b", 2 AS `c;d`', output: 'SELECT 1 AS "a;b", 2 AS `c;d`' },
    { name: "escaped quote before a semicolon in a string", input: "SELECT 'it\\'s; fine'", output: "SELECT 'it\\'s; fine'" },
    { name: "doubled quote in a string", input: "SELECT 'it''s; fine'", output: "SELECT 'it''s; fine'" },
    { name: "the word SETTINGS inside a string", input: "SELECT * FROM t WHERE comm = 'SETTINGS'", output: "SELECT * FROM t WHERE comm = 'SETTINGS'" },
    { name: "SETTINGS in a comment", input: "SELECT 1 -- no SETTINGS here", output: "SELECT 1" },
    { name: "a column named like a keyword prefix", input: "SELECT settings_count FROM t", output: "SELECT settings_count FROM t" },
    {
      name: "comment markers inside a string are data",
      input: "SELECT host_id FROM spamtrace.socket_snapshots WHERE has(argv, '--daemon') OR exe LIKE '%/*tmp*/%'",
      output: "SELECT host_id FROM spamtrace.socket_snapshots WHERE has(argv, '--daemon') OR exe LIKE '%/*tmp*/%'",
    },
    { name: "comment marker in a string, then a real comment", input: "SELECT '--x' -- note\n", output: "SELECT '--x'" },
  ])("allows $name", ({ input, output }) => {
    expect(checkReadOnlySql(input)).toBe(output);
  });

  it.each([
    { name: "INSERT", input: "INSERT INTO spamtrace.hosts VALUES (1)", error: ONLY_READ_ONLY },
    { name: "DROP", input: "DROP TABLE spamtrace.hosts", error: ONLY_READ_ONLY },
    { name: "ALTER hidden behind a comment", input: "/* SELECT */ ALTER TABLE t DELETE WHERE 1", error: ONLY_READ_ONLY },
    { name: "SELECT as a later word only", input: "OPTIMIZE TABLE t -- SELECT", error: ONLY_READ_ONLY },
    { name: "SELECT prefix of another word", input: "SELECTED 1", error: ONLY_READ_ONLY },
    { name: "SYSTEM", input: "SYSTEM SHUTDOWN", error: ONLY_READ_ONLY },
    { name: "two statements", input: "SELECT 1; DROP TABLE t", error: ONE_STATEMENT },
    { name: "two statements, both read-only", input: "SELECT 1; SELECT 2;", error: ONE_STATEMENT },
    { name: "second statement after a string", input: "SELECT 'a'; DROP TABLE t", error: ONE_STATEMENT },
    { name: "statement after a string holding a comment marker", input: "SELECT '--'; DROP TABLE t", error: ONE_STATEMENT },
    { name: "an unterminated block comment is not a comment", input: "SELECT 1 /* ; DROP TABLE t", error: ONE_STATEMENT },
    { name: "SETTINGS clause", input: "SELECT 1 SETTINGS readonly = 0", error: NO_SETTINGS },
    { name: "lower-case settings clause", input: "select 1 settings max_execution_time=0", error: NO_SETTINGS },
    { name: "empty", input: "", error: "empty query" },
    { name: "blanks and a semicolon", input: "  ;  ", error: "empty query" },
    { name: "only a comment", input: "-- nothing\n/* at all */", error: "empty query" },
  ])("refuses $name", ({ input, error }) => {
    expect(() => checkReadOnlySql(input)).toThrow(new Error(error));
  });
});
