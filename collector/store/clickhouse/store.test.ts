import { describe, expect, it } from "vitest";
import { StoreError } from "./store.js";

function connectionRefused(): Error {
  return Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8123"), { code: "ECONNREFUSED", errno: -111, syscall: "connect" });
}

describe("StoreError.from", () => {
  it.each<{ name: string; input: unknown; output: { message: string; code: number | undefined; retryable: boolean } }>([
    {
      name: "syntax error (Code: 62) is permanent",
      input: new Error("Code: 62, e.displayText() = DB::Exception: Syntax error: failed at position 8 (line 1, col 8): FROM"),
      output: { message: "insert: Code: 62, e.displayText() = DB::Exception: Syntax error: failed at position 8 (line 1, col 8): FROM", code: 62, retryable: false },
    },
    {
      name: "only the first line of the message is kept",
      input: new Error("Code: 60. DB::Exception: Table spamtrace.nope doesn't exist. (UNKNOWN_TABLE)\nStack trace:\n0. DB::Exception..."),
      output: { message: "insert: Code: 60. DB::Exception: Table spamtrace.nope doesn't exist. (UNKNOWN_TABLE)", code: 60, retryable: false },
    },
    {
      name: "bad data (Code: 27, cannot parse input) is permanent",
      input: new Error("Code: 27. DB::Exception: Cannot parse input: expected '\"' before: 'x'"),
      output: { message: "insert: Code: 27. DB::Exception: Cannot parse input: expected '\"' before: 'x'", code: 27, retryable: false },
    },
    {
      name: "too many parts (Code: 252) is retryable",
      input: new Error("Code: 252. DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts"),
      output: { message: "insert: Code: 252. DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts", code: 252, retryable: true },
    },
    {
      name: "memory limit (Code: 241) is retryable",
      input: new Error("Code: 241. DB::Exception: Memory limit (total) exceeded"),
      output: { message: "insert: Code: 241. DB::Exception: Memory limit (total) exceeded", code: 241, retryable: true },
    },
    {
      name: "connection refused has no code and is retryable",
      input: connectionRefused(),
      output: { message: "insert: connect ECONNREFUSED 127.0.0.1:8123", code: undefined, retryable: true },
    },
    {
      name: "a thrown string",
      input: "socket hang up",
      output: { message: "insert: socket hang up", code: undefined, retryable: true },
    },
  ])("$name", ({ input, output }) => {
    const error = StoreError.from(input, "insert");
    expect(error).toBeInstanceOf(StoreError);
    expect(error.name).toBe("StoreError");
    expect({ message: error.message, code: error.code, retryable: error.retryable }).toEqual(output);
    expect(error.cause).toBe(input);
  });

  it("returns a StoreError unchanged", () => {
    const original = new StoreError("query: Code: 62. Syntax error", 62, false);
    expect(StoreError.from(original, "other context")).toBe(original);
  });
});
