import type { SocketRecord } from "../../../shared/types/socket-record.js";
import { filterSmtpSockets } from "./filter-smtp-sockets.js";
import { isSocketOwner, mapSocketInodes, type SocketOwner } from "./map-socket-inodes.js";
import { parseProcNetTcp, type ProcNetTcpRow } from "./parse-proc-net-tcp.js";
import { PasswdCache } from "./read-passwd.js";
import { readSocketTableSync, readTcp6TableSync } from "./read-socket-table.js";
import { readProcessInfo, readProcessStartTime, type ProcessInfo } from "./read-process-info.js";
import { sortSocketRecords } from "./sort-socket-records.js";

/** Options for ProcSocketSampler and readSocketsFromProc. */
export interface ProcSocketSourceOptions {
  /** TCP ports watched (local or remote), e.g. DEFAULT_SMTP_PORTS. */
  ports: readonly number[];
  /** Root of the proc filesystem; default "/proc". */
  procRoot?: string;
  /** User name cache; default one reading /etc/passwd. */
  passwd?: PasswdCache;
  /** How often a cached socket owner is re-verified with one readlink, in ms; default 5000. */
  ownerRecheckMs?: number;
  /** How many samples in a row try to find the owner of a socket before giving up on it (the first among likely owners only); default 2. */
  ownerLookupAttempts?: number;
}

/** Counters a sampler keeps since it was created, for metrics and tests. */
export interface ProcSocketSamplerStats {
  /** Calls to sample() that read the socket tables. */
  samples: number;
  /** /proc/net/tcp{,6} lines showing a watched port that could not be parsed. */
  malformedLines: number;
  /** Scans of /proc/[pid]/fd to find owners of new sockets. */
  ownerScans: number;
  /** Full reads of a process's /proc entries (cache misses). */
  processReads: number;
}

interface OwnerEntry {
  owner: SocketOwner | null;
  attempts: number;
  checkedAt: number;
}

const DEFAULT_OWNER_RECHECK_MS = 5_000;
const DEFAULT_OWNER_LOOKUP_ATTEMPTS = 2;
/** A process first listed less than this long ago is searched first for the owner of a new socket. */
const YOUNG_PROCESS_MS = 10_000;

/**
 * Long-lived /proc socket sampler (the probe calls sample() when a TCP
 * connection was opened, and every 2 s or every snapshot: probe/pipeline/sample-sockets.ts).
 * Each sample reads only /proc/net/tcp and /proc/net/tcp6; owners are looked
 * up in /proc/[pid]/fd only for socket inodes not seen before, and process
 * details are read once per (pid, start time). Cached owners are re-verified
 * with one readlink every ownerRecheckMs, so a socket handed to another
 * process (fork then exit) is re-attributed. Process details (cwd, argv) are
 * those seen when the process was first resolved.
 */
export class ProcSocketSampler {
  private readonly ports: ReadonlySet<number>;
  private readonly procRoot: string;
  private readonly passwd: PasswdCache;
  private readonly ownerRecheckMs: number;
  private readonly ownerLookupAttempts: number;
  private readonly owners = new Map<string, OwnerEntry>();
  private readonly processes = new Map<number, ProcessInfo>();
  /** When each listed pid was first listed by an owner search (performance.now()). */
  private readonly pidFirstSeen = new Map<number, number>();
  private inFlight: Promise<SocketRecord[]> | null = null;
  private readonly counters: ProcSocketSamplerStats = { samples: 0, malformedLines: 0, ownerScans: 0, processReads: 0 };

  /** Creates a sampler; nothing is read until sample(). */
  constructor(options: ProcSocketSourceOptions) {
    this.ports = new Set(options.ports);
    this.procRoot = options.procRoot ?? "/proc";
    this.passwd = options.passwd ?? new PasswdCache();
    this.ownerRecheckMs = options.ownerRecheckMs ?? DEFAULT_OWNER_RECHECK_MS;
    this.ownerLookupAttempts = options.ownerLookupAttempts ?? DEFAULT_OWNER_LOOKUP_ATTEMPTS;
  }

  /** A copy of the counters. */
  get stats(): ProcSocketSamplerStats {
    return { ...this.counters };
  }

  /**
   * Current watched sockets with their processes, sorted by sortSocketRecords.
   * Concurrent calls share the sample in flight. Rejects only when
   * /proc/net/tcp itself cannot be read (no /proc: use the lsof source).
   */
  sample(): Promise<SocketRecord[]> {
    this.inFlight ??= this.takeSample().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async takeSample(): Promise<SocketRecord[]> {
    const tcpText = readSocketTableSync(`${this.procRoot}/net/tcp`);
    const tcp6Text = readTcp6TableSync(this.procRoot);
    const tcp = parseProcNetTcp(tcpText, "tcp", { ports: this.ports });
    const tcp6 = parseProcNetTcp(tcp6Text, "tcp6", { ports: this.ports });
    this.counters.samples++;
    this.counters.malformedLines += tcp.skipped + tcp6.skipped;
    const sockets = filterSmtpSockets([...tcp.rows, ...tcp6.rows], this.ports);
    await this.resolveOwners(new Set(sockets.map((socket) => socket.inode)));
    // Synchronous per socket: a mail host keeps hundreds of TIME_WAIT sockets on port 25, each a record at
    // every sample. Sockets without an owner get their uid's name once per distinct uid.
    const records = sockets.map((socket) => this.toRecord(socket));
    const ownerlessUids = new Set<number>();
    for (const record of records) if (record.pid === null && record.uid !== null) ownerlessUids.add(record.uid);
    if (ownerlessUids.size > 0) {
      const names = new Map<number, string | null>();
      for (const uid of ownerlessUids) names.set(uid, await this.passwd.userName(uid));
      for (const record of records) if (record.pid === null && record.uid !== null) record.user = names.get(record.uid) ?? null;
    }
    return sortSocketRecords(records);
  }

  private async resolveOwners(inodes: ReadonlySet<string>): Promise<void> {
    for (const inode of this.owners.keys()) if (!inodes.has(inode)) this.owners.delete(inode);
    const now = performance.now();
    const lookup: string[] = [];
    const recheck: Array<[string, SocketOwner]> = [];
    for (const inode of inodes) {
      if (inode === "0") continue;
      const entry = this.owners.get(inode);
      if (entry === undefined) lookup.push(inode);
      else if (entry.owner === null) {
        if (entry.attempts < this.ownerLookupAttempts) lookup.push(inode);
      } else if (now - entry.checkedAt >= this.ownerRecheckMs) recheck.push([inode, entry.owner]);
    }
    const stillOwned = await Promise.all(recheck.map(([inode, owner]) => isSocketOwner(owner, inode, this.procRoot)));
    recheck.forEach(([inode], i) => {
      if (stillOwned[i] === true) (this.owners.get(inode) as OwnerEntry).checkedAt = now;
      else {
        this.owners.delete(inode);
        lookup.push(inode);
      }
    });
    if (lookup.length > 0) {
      this.counters.ownerScans++;
      // A socket's first search looks only among likely owners (cheap); one not found there is searched
      // in every process at the next sample, if it still exists then (a closed session needs no owner).
      const firstTry = lookup.filter((inode) => !this.owners.has(inode));
      const retry = lookup.filter((inode) => this.owners.has(inode));
      const found = new Map<string, SocketOwner>();
      if (firstTry.length > 0) {
        for (const [inode, owner] of await mapSocketInodes(firstTry, { procRoot: this.procRoot, order: (pids) => this.likelyOwners(pids, now) })) found.set(inode, owner);
      }
      if (retry.length > 0) {
        for (const [inode, owner] of await mapSocketInodes(retry, { procRoot: this.procRoot, order: (pids) => this.heldFirst(pids) })) found.set(inode, owner);
      }
      for (const inode of lookup) {
        const owner = found.get(inode) ?? null;
        const attempts = (this.owners.get(inode)?.attempts ?? 0) + 1;
        this.owners.set(inode, { owner, attempts, checkedAt: now });
      }
      const newPids = new Set([...found.values()].map((owner) => owner.pid));
      await Promise.all([...newPids].map((pid) => this.refreshProcess(pid)));
    }
    const livePids = new Set<number>();
    for (const entry of this.owners.values()) if (entry.owner !== null) livePids.add(entry.owner.pid);
    for (const pid of this.processes.keys()) if (!livePids.has(pid)) this.processes.delete(pid);
  }

  /** Pids of the processes holding a watched socket now. */
  private holders(): Set<number> {
    const holders = new Set<number>();
    for (const entry of this.owners.values()) if (entry.owner !== null) holders.add(entry.owner.pid);
    return holders;
  }

  /** Every pid, those holding a watched socket first (a listener accepts the inbound ones), then in pid order. */
  private heldFirst(pids: number[]): number[] {
    this.notePids(pids, performance.now());
    const holders = this.holders();
    return [...pids.filter((pid) => holders.has(pid)), ...pids.filter((pid) => !holders.has(pid))];
  }

  /**
   * The likely owners of new sockets: processes holding a watched socket,
   * then processes first listed less than YOUNG_PROCESS_MS ago, newest first
   * (a short session is usually a new process: a PHP script, a spam tool).
   * The first search of all (nothing listed before) scans every pid in pid
   * order, so a socket inherited by pre-forked children goes to their parent.
   */
  private likelyOwners(pids: number[], now: number): number[] {
    const firstListing = this.pidFirstSeen.size === 0;
    this.notePids(pids, now);
    if (firstListing) return pids;
    const holders = this.holders();
    const young = pids.filter((pid) => !holders.has(pid) && now - (this.pidFirstSeen.get(pid) ?? -Infinity) < YOUNG_PROCESS_MS).reverse();
    return [...pids.filter((pid) => holders.has(pid)), ...young];
  }

  /** Records when each pid was first listed (the first listing counts as long ago); forgets pids gone. */
  private notePids(pids: number[], now: number): void {
    const since = this.pidFirstSeen.size === 0 ? -Infinity : now;
    const listed = new Set(pids);
    for (const pid of this.pidFirstSeen.keys()) if (!listed.has(pid)) this.pidFirstSeen.delete(pid);
    for (const pid of pids) if (!this.pidFirstSeen.has(pid)) this.pidFirstSeen.set(pid, since);
  }

  private async refreshProcess(pid: number): Promise<void> {
    const cached = this.processes.get(pid);
    if (cached !== undefined && cached.start_time_ticks !== null) {
      const startTime = await readProcessStartTime(pid, this.procRoot);
      if (startTime === cached.start_time_ticks) return;
    }
    this.counters.processReads++;
    this.processes.set(pid, await readProcessInfo(pid, { procRoot: this.procRoot, passwd: this.passwd }));
  }

  /** The socket's record; without an owner, `user` is left null for takeSample to fill in from the uid. */
  private toRecord(socket: ProcNetTcpRow & { direction: SocketRecord["direction"] }): SocketRecord {
    const owner = this.owners.get(socket.inode)?.owner ?? null;
    const info = owner === null ? undefined : this.processes.get(owner.pid);
    const endpoint = {
      proto: socket.proto,
      state: socket.state,
      direction: socket.direction,
      local_address: socket.local_address,
      local_port: socket.local_port,
      remote_address: socket.remote_address,
      remote_port: socket.remote_port,
      inode: socket.inode,
    };
    if (info !== undefined) {
      return {
        ...endpoint,
        pid: info.pid,
        ppid: info.ppid,
        uid: info.uid,
        user: info.user,
        comm: info.comm,
        argv: [...info.argv],
        exe: info.exe,
        exe_deleted: info.exe_deleted,
        cwd: info.cwd,
      };
    }
    // A socket with inode 0 (TIME_WAIT, orphaned) has no owner; the kernel reports uid 0 for it, which would blame root.
    const uid = socket.inode === "0" ? null : socket.uid;
    return {
      ...endpoint,
      pid: null,
      ppid: null,
      uid,
      user: null,
      comm: null,
      argv: [],
      exe: null,
      exe_deleted: false,
      cwd: null,
    };
  }
}

/** One-shot snapshot of the watched sockets from /proc (no cache kept between calls). */
export function readSocketsFromProc(opts: { ports: readonly number[]; procRoot?: string }): Promise<SocketRecord[]> {
  return new ProcSocketSampler(opts).sample();
}
