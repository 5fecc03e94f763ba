import type { core } from "zod";

/** Dotted key path of a zod issue ("grpc.port"), or "(root)" for the top level. */
export function issueKey(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}

/**
 * Turns one zod issue into a sentence that names the key, the value and the
 * rule, e.g. `snapshotIntervalMs 0 must be >= 100`.
 */
export function formatConfigIssue(issue: core.$ZodIssue, input: unknown): string {
  const key = issueKey(issue.path);
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const prefix = issue.path.length === 0 ? "" : `${key}.`;
      return issue.keys.map((k) => `unknown config key ${prefix}${k}`).join("; ");
    }
    case "too_small":
      return `${key} ${show(value)} must be ${issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}`;
    case "too_big":
      return `${key} ${show(value)} must be ${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}`;
    case "invalid_type":
      return value === undefined
        ? `${key} is required (${issue.expected})`
        : `${key} ${show(value)} must be a ${issue.expected}`;
    default:
      // A cross-key rule may name a key left at its default (absent from the input).
      return value === undefined ? `${key}: ${issue.message}` : `${key} ${show(value)}: ${issue.message}`;
  }
}

/** The value at a key path of the (merged) input, or undefined. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/** A value as JSON, cut to 80 characters. */
export function show(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
