import { z } from "zod";

/** The `remediate` section. */
export const remediateConfigSchema = z.strictObject({
  /** Folder on the host where a stopped process's executable is kept as evidence. */
  evidenceDir: z.string().startsWith("/").default("/var/lib/spamtrace/evidence"),
  /** Most queued messages whose envelope is read to find the culprit's. */
  maxQueueMessages: z.number().int().min(1).max(1_000_000).default(10_000),
});

/** Validated `remediate` configuration. */
export type RemediateConfig = z.output<typeof remediateConfigSchema>;
