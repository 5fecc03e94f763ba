import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { headMatches, headOf } from "./file-head.js";

describe("file heads", () => {
  const content = Buffer.from("Nov 29 09:02:20 vm postfix/postfix-script[12065]: starting the Postfix mail system\n".repeat(5));

  it("hashes at most 256 bytes", () => {
    expect(headOf(content).length).toBe(256);
    expect(headOf(Buffer.from("short\n"))).toEqual({ length: 6, sha256: createHash("sha256").update("short\n").digest("hex") });
    expect(headOf(content).sha256).toBe(createHash("sha256").update(content.subarray(0, 256)).digest("hex"));
  });

  it("matches a file that starts with the same bytes, even after it grew", () => {
    const head = headOf(content.subarray(0, 40));
    expect(headMatches(head, content)).toBe(true);
    expect(headMatches(head, Buffer.from("Nov 29 09:02:21 other"))).toBe(false);
    expect(headMatches(head, content.subarray(0, 39))).toBe(false);
  });

  it("never matches with an empty head", () => {
    expect(headMatches(headOf(Buffer.alloc(0)), content)).toBe(false);
  });
});
