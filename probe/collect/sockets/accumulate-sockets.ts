import type { SocketRecord } from "../../../shared/types/socket-record.js";

/** A socket seen during an interval, with when it was first and last seen. */
export interface SeenSocket {
  record: SocketRecord;
  firstSeenMs: number;
  lastSeenMs: number;
}

/** The union of all samples taken during one interval. */
export interface SocketInterval {
  startedAtMs: number;
  endedAtMs: number;
  samples: number;
  sockets: SeenSocket[];
}

/**
 * Collects sub-second samples of the socket table into one interval, so a
 * spam connection that lives two seconds is reported even though snapshots
 * are sent every ten.
 */
export class SocketAccumulator {
  private seen = new Map<string, SeenSocket>();
  private samples = 0;
  private startedAtMs: number;

  constructor(nowMs: number) {
    this.startedAtMs = nowMs;
  }

  /** Adds one sample of the socket table taken at `nowMs`. */
  add(records: readonly SocketRecord[], nowMs: number): void {
    this.samples++;
    for (const record of records) {
      const key = `${record.proto}|${record.local_address}|${record.local_port}|${record.remote_address}|${record.remote_port}|${record.inode}`;
      const prior = this.seen.get(key);
      if (prior) {
        prior.lastSeenMs = nowMs;
        // Keep the latest state and the process once it is known.
        prior.record = record.pid === null && prior.record.pid !== null ? { ...record, ...pickProcess(prior.record) } : record;
      } else this.seen.set(key, { record, firstSeenMs: nowMs, lastSeenMs: nowMs });
    }
  }

  /** Samples taken in the current interval. */
  get sampleCount(): number {
    return this.samples;
  }

  /** Returns the interval so far and starts a new one at `nowMs`. */
  drain(nowMs: number): SocketInterval {
    const interval: SocketInterval = { startedAtMs: this.startedAtMs, endedAtMs: nowMs, samples: this.samples, sockets: [...this.seen.values()] };
    this.seen = new Map();
    this.samples = 0;
    this.startedAtMs = nowMs;
    return interval;
  }
}

function pickProcess(r: SocketRecord): Partial<SocketRecord> {
  return { pid: r.pid, ppid: r.ppid, uid: r.uid, user: r.user, comm: r.comm, argv: r.argv, exe: r.exe, exe_deleted: r.exe_deleted, cwd: r.cwd };
}
