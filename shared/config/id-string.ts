import { z } from "zod";

/**
 * A string matching `pattern`. All-digit ids (server "10234") arrive as
 * numbers from YAML and the environment, so numbers are taken as their text.
 */
// The return type is inferred: zod 4 spells it as an internal generic.
export function idString(pattern: RegExp) {
  return z.preprocess((value) => (typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value), z.string().regex(pattern));
}
