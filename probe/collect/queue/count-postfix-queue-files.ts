import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { POSTFIX_QUEUES } from "./parse-postqueue-json.js";

async function countFiles(dir: string): Promise<number> {
  let count = 0;
  // Queue files sit in hashed subdirectories (deferred/4/4ABC…), hash_queue_depth deep.
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) count += await countFiles(join(dir, entry.name));
    else if (entry.isFile()) count += 1;
  }
  return count;
}

/**
 * Messages per Postfix queue counted from the queue directory's files: the
 * fallback when postqueue cannot answer (Postfix stopped and the probe not
 * root, or a listing too large to finish in time). Needs read access to the
 * queue directories (root, or CAP_DAC_READ_SEARCH). Rejects when a queue
 * directory cannot be read.
 */
export async function countPostfixQueueFiles(queueDirectory: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const queue of POSTFIX_QUEUES) counts[queue] = await countFiles(join(queueDirectory, queue));
  return counts;
}
