import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { HostFiles } from "../mta/host-files.js";
import type { MtaDetection } from "../mta/mta-detection.js";
import { countPostfixQueueFiles } from "./count-postfix-queue-files.js";

/** Exim's spool keeps one `<id>-H` header file per queued message under input/ (input/<c>/ with split_spool_directory). */
async function countEximHeaderFiles(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) count += await countEximHeaderFiles(join(dir, entry.name));
    else if (entry.name.endsWith("-H")) count += 1;
  }
  return count;
}

/**
 * Messages in the MTA's queue counted from its spool directory alone (no
 * command, no message read): Postfix's queue files in maildrop, incoming,
 * active, deferred and hold; Exim's `-H` files under input/. Cheap enough to
 * run every few seconds, so a listing is only needed when the count moved.
 * Null for MTAs without such a count (Sendmail, qmail, OpenSMTPD) or without
 * a queue path; rejects when the directory cannot be read (the probe lacks
 * root / CAP_DAC_READ_SEARCH).
 */
export async function countQueue(detection: MtaDetection, files: HostFiles): Promise<number | null> {
  if (detection.queuePath === "") return null;
  const queueDir = files.local(detection.queuePath);
  switch (detection.kind) {
    case "postfix":
      return Object.values(await countPostfixQueueFiles(queueDir)).reduce((sum, n) => sum + n, 0);
    case "exim":
      return countEximHeaderFiles(join(queueDir, "input"));
    default:
      return null;
  }
}
