import { z } from "zod";
import type { Row } from "../store/clickhouse/store.js";
import { SUPPRESSION_SCOPES } from "./suppression.js";

// One `suppressions` row exactly (migrations-suppressions.ts): how `spamtrace
// suppress` writes through the admin endpoint in embedded mode. Strict, so the
// endpoint never becomes a general INSERT.
const rowSchema = z.strictObject({
  id: z.string().regex(/^sup-[0-9a-f]{8}$/),
  rule: z.string().min(1).max(64),
  scope: z.enum(SUPPRESSION_SCOPES),
  value: z.string().min(1).max(1000),
  reason: z.string().min(1).max(2000),
  expires_at: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
  expires_at_unix_ms: z.number().int().min(0),
  created_by: z.string().max(256),
  created_at_unix_ms: z.number().int().min(0),
  removed: z.union([z.literal(0), z.literal(1)]),
  version: z.number().int().min(0),
});

/** Checks a {rows} request body of /api/suppressions; returns the rows or throws a TypeError naming the first problem. */
export function checkSuppressionRows(body: unknown): Row[] {
  const rows = (body ?? {}) as { rows?: unknown };
  if (!Array.isArray(rows.rows) || rows.rows.length === 0 || rows.rows.length > 100) throw new TypeError("rows must be an array of 1..100 suppressions rows");
  return rows.rows.map((row, i) => {
    const parsed = rowSchema.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new TypeError(`rows[${i}]${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`);
    }
    return parsed.data;
  });
}
