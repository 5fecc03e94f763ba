import { z } from "zod";
import { KNOWN_MTA_KINDS } from "../../shared/mta/mta-kinds.js";
import type { QueueSnapshot } from "../../shared/types/queue-snapshot.js";

// `spamtrace-probe inspect --json` as the scan reads it: untrusted JSON from
// the scanned host, checked here so a garbled or hostile answer fails that
// host with a message naming the field, never the scan.

const nullableInt = z.number().int().nullish();
const nullableText = z.string().nullish();

/** One socket of the probe's socket table (the `snapshot --json` shape). */
const socketSchema = z.object({
  proto: z.string(),
  state: z.string(),
  direction: z.string(),
  local_address: z.string(),
  local_port: z.number().int(),
  remote_address: z.string(),
  remote_port: z.number().int(),
  inode: z.union([z.number().int(), z.string()]),
  pid: nullableInt,
  ppid: nullableInt,
  uid: nullableInt,
  user: nullableText,
  comm: nullableText,
  argv: z.array(z.string()).nullish(),
  exe: nullableText,
  exe_deleted: z.boolean().nullish(),
  cwd: nullableText,
});

/** One socket of `spamtrace-probe snapshot --json` / `inspect --json` (README: a stable output). */
export type SnapshotSocket = z.output<typeof socketSchema>;

const count = z.number().int().min(0);
const keyCounts = z.array(z.object({ key: z.string(), count }));

const queueSchema = z.object({
  mta: z.enum(KNOWN_MTA_KINDS),
  source: z.string(),
  complete: z.boolean(),
  total: count,
  byQueue: z.record(z.string(), count),
  frozenOrHeld: count,
  oldestAgeSeconds: z.number().nullable(),
  nullSender: count,
  recipients: count,
  topSenders: keyCounts,
  topRecipientDomains: keyCounts,
  skippedLines: count,
  observedAtUnixMs: z.number(),
});

const inspectionSchema = z.object({
  probeVersion: z.string(),
  host: z.object({ hostname: z.string(), ipAddresses: z.array(z.string()), os: z.string(), kernel: z.string(), bootTimeUnixMs: z.number() }),
  sockets: z.array(socketSchema),
  mta: z.object({
    kind: z.string(),
    flavour: z.string().optional(),
    version: z.string(),
    binaryPaths: z.array(z.string()),
    logPaths: z.array(z.string()),
    queuePath: z.string(),
    evidence: z.array(z.string()),
  }),
  warnings: z.array(z.string()),
  queue: queueSchema.nullable(),
  queueError: z.string(),
});

/** What the scan took from a host's `spamtrace-probe inspect --json`. */
export type RemoteInspection = Omit<z.output<typeof inspectionSchema>, "queue"> & { queue: QueueSnapshot | null };

/** Parses the remote probe's inspection; throws naming the first bad field. */
export function parseInspection(stdout: string): RemoteInspection {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new Error(`the probe's inspect output is not JSON: ${stdout.slice(0, 200)}`);
  }
  const parsed = inspectionSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`the probe's inspect output is not as expected at ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return parsed.data;
}
