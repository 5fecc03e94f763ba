import type { SocketRecord, SocketSource } from "../../../shared/types/socket-record.js";
import { readSocketsFromLsof } from "./lsof-socket-source.js";
import { ProcSocketSampler } from "./proc-socket-source.js";

/** A function returning the current SMTP socket table. */
export type SocketReader = () => Promise<SocketRecord[]>;

/** The socket reader for a configured source: a long-lived /proc sampler, or lsof. */
export function openSocketSource(source: SocketSource, ports: readonly number[]): SocketReader {
  if (source === "lsof") return () => readSocketsFromLsof({ ports });
  const sampler = new ProcSocketSampler({ ports });
  return () => sampler.sample();
}
