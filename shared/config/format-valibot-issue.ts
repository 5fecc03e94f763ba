import type { BaseIssue } from "valibot";
import { issueKey, show, valueAt } from "./format-config-issue.js";

/** "an array", "a number": valibot's expected type as words. */
function typeWords(expected: string | null): string {
  const word = (expected ?? "value").toLowerCase();
  return `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;
}

/**
 * One valibot issue as a sentence naming the key, the value and the rule, and
 * the dotted key ("sockets.ports.1", "(root)" for the top level), in
 * the words the zod-validated configs use (formatConfigIssue), e.g.
 * `sockets.sampleIntervalMs 10 must be >= 50`. The probe validates with
 * valibot: zod alone cost the running probe ~10 MB of RSS (bench/README.md).
 */
export function describeValibotIssue(issue: BaseIssue<unknown>, input: unknown): { message: string; key: string } {
  const path = (issue.path ?? []).map((item) => item.key as PropertyKey);
  const key = issueKey(path);
  return { message: valibotIssueSentence(issue, key, valueAt(input, path)), key };
}

function valibotIssueSentence(issue: BaseIssue<unknown>, key: string, value: unknown): string {
  const shown = value === undefined ? "" : ` ${show(value)}`;
  const requirement = String(issue.requirement);
  switch (issue.type) {
    case "strict_object":
      if (issue.expected === "never") return `unknown config key ${key}`;
      break;
    case "min_value":
      return `${key}${shown} must be >= ${requirement}`;
    case "max_value":
      return `${key}${shown} must be <= ${requirement}`;
    case "integer":
      return `${key}${shown} must be an integer`;
    case "min_length":
      if (Array.isArray(value)) return `${key}${shown} must list at least ${requirement}`;
      return requirement === "1" ? `${key} must not be empty` : `${key}${shown} must be at least ${requirement} characters`;
    case "max_length":
      return Array.isArray(value) ? `${key} must list at most ${requirement}` : `${key}${shown} must be at most ${requirement} characters`;
    case "picklist":
      return `${key}${shown} must be one of ${(issue.expected ?? "").replace(/^\((.*)\)$/, "$1")}`;
    default:
      break;
  }
  if (issue.kind === "schema") return value === undefined ? `${key} is required (${typeWords(issue.expected)})` : `${key}${shown} must be ${typeWords(issue.expected)}`;
  // Rules with a message of our own (regex, cross-key checks); a cross-key rule may name a key left at its default.
  return `${key}${shown}: ${issue.message}`;
}
