import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatConfigIssue, issueKey } from "./format-config-issue.js";

const schema = z.strictObject({
  name: z.string(),
  limits: z
    .strictObject({
      above: z.number().gt(0).optional(),
      below: z.number().lt(10).optional(),
      atMost: z.number().max(10).optional(),
      atLeast: z.number().min(1).optional(),
      tags: z.array(z.string()).max(1).optional(),
      host: z.string().regex(/^[a-z]+$/).optional(),
    })
    .optional(),
});

/** The sentence for the first issue of `input` against the schema. */
function firstIssue(input: unknown): string {
  const result = schema.safeParse(input);
  if (result.success) throw new Error("expected the input to be invalid");
  return formatConfigIssue(result.error.issues[0]!, input);
}

describe("issueKey", () => {
  it.each([
    { input: [], output: "(root)" },
    { input: ["grpc"], output: "grpc" },
    { input: ["grpc", "port"], output: "grpc.port" },
    { input: ["sockets", "ports", 1], output: "sockets.ports.1" },
  ])("$input → $output", ({ input, output }) => {
    expect(issueKey(input)).toBe(output);
  });
});

describe("formatConfigIssue", () => {
  it.each([
    { name: "unknown key at the top", input: { name: "a", nmae: "b" }, output: "unknown config key nmae" },
    { name: "unknown nested keys, each named", input: { name: "a", limits: { abov: 1, blow: 2 } }, output: "unknown config key limits.abov; unknown config key limits.blow" },
    { name: "required key", input: {}, output: "name is required (string)" },
    { name: "wrong type names the value", input: { name: 7 }, output: "name 7 must be a string" },
    { name: "null is shown as null", input: { name: null }, output: "name null must be a string" },
    { name: "exclusive minimum", input: { name: "a", limits: { above: 0 } }, output: "limits.above 0 must be > 0" },
    { name: "exclusive maximum", input: { name: "a", limits: { below: 10 } }, output: "limits.below 10 must be < 10" },
    { name: "inclusive maximum", input: { name: "a", limits: { atMost: 11 } }, output: "limits.atMost 11 must be <= 10" },
    { name: "inclusive minimum", input: { name: "a", limits: { atLeast: -1 } }, output: "limits.atLeast -1 must be >= 1" },
    { name: "array length shows the array", input: { name: "a", limits: { tags: ["x", "y"] } }, output: 'limits.tags ["x","y"] must be <= 1' },
    {
      name: "other rules keep zod's message",
      input: { name: "a", limits: { host: "A" } },
      output: 'limits.host "A": Invalid string: must match pattern /^[a-z]+$/',
    },
    {
      name: "long string value cut to 80 characters with an ellipsis",
      input: { name: "a", limits: { host: "X".repeat(200) } },
      output: `limits.host "${"X".repeat(76)}...: Invalid string: must match pattern /^[a-z]+$/`,
    },
  ])("$name", ({ input, output }) => {
    expect(firstIssue(input)).toBe(output);
  });
});
