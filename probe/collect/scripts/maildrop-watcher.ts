import { watch, type FSWatcher } from "node:fs";
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { parseProcStatStartTime, parseProcStatus, splitCmdline } from "../sockets/read-process-info.js";
import { endsChain, scriptOfChain } from "./script-of-chain.js";
import type { ChainProcess, ScriptSubmission } from "./script-submission.js";

/** Ancestors read above the writer at most (postdrop, sendmail, sh -c, the script, its server...). */
const MAX_CHAIN = 12;

/**
 * postdrop creates its maildrop file as `<microseconds>.<its own pid>`
 * (Postfix mail_queue_enter), copies the message in, then renames it to a
 * maildrop queue id that pickup never logs. The temporary name hands us the
 * writer's pid while it, sendmail and the program above them still run.
 */
const TEMP_NAME = /^\d+\.(\d+)$/;

/** Options of a MaildropWatcher. */
export interface MaildropWatcherOptions {
  /** Postfix's maildrop directory (queue_directory/maildrop). */
  dir: string;
  /** Receives every submission seen. */
  onSubmission: (s: ScriptSubmission) => void;
  onWarning: (message: string) => void;
  procRoot?: string;
  now?: () => number;
}

/**
 * Watches Postfix's maildrop directory (inotify through fs.watch) and, when
 * postdrop creates a file, reads the writer's ancestry from /proc at once:
 * postdrop lives milliseconds, but while it writes, sendmail and the script
 * that piped into it are still alive. Needs read access to the directory
 * (mode 1730 postfix:postdrop: root, or the postdrop group) and to other
 * users' /proc/PID/cwd and exe (root or CAP_SYS_PTRACE).
 */
export class MaildropWatcher {
  private watcher: FSWatcher | null = null;
  private readonly seen = new Set<string>();
  /** Files seen whose writer had already gone and no recent submitter was still running (counter for metrics and tests). */
  missed = 0;
  /** Files whose writer had gone, named after the one recent submitter of that uid still running. */
  inferred = 0;
  /** Processes that named a script lately, newest last: a loop that sends tens of messages keeps running between them. */
  private readonly recent: RecentSubmitter[] = [];

  constructor(private readonly opts: MaildropWatcherOptions) {}

  start(): void {
    try {
      this.watcher = watch(this.opts.dir, { persistent: false }, (_event, name) => {
        if (typeof name === "string") this.onName(name);
      });
      this.watcher.on("error", (error) => this.opts.onWarning(`maildrop watch on ${this.opts.dir} stopped: ${error.message}`));
    } catch (error) {
      this.opts.onWarning(`cannot watch ${this.opts.dir}: ${(error as Error).message} (local submissions are named by uid only)`);
    }
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  private onName(name: string): void {
    const m = TEMP_NAME.exec(name);
    // Every file gives several events (create, rename away); one look per file.
    if (m === null || this.seen.has(name)) return;
    this.seen.add(name);
    if (this.seen.size > 1024) this.seen.clear();
    const tsUnixMs = (this.opts.now ?? Date.now)();
    // Synchronously, in this callback: postdrop exits milliseconds after
    // creating the file, and async reads wait behind the socket sampler's in
    // libuv's thread pool (measured: half the writers gone). About 30 small
    // /proc reads, well under a millisecond.
    const procRoot = this.opts.procRoot ?? "/proc";
    const uid = fileUid(`${this.opts.dir}/${name}`);
    let chain = readChainSync(Number(m[1]), procRoot);
    if (chain.length === 0 && uid !== null) {
      // postdrop has gone: sendmail (waiting for it) or the program above may not have.
      const submitter = findSubmitter(uid, procRoot);
      if (submitter !== null) chain = readChainSync(submitter, procRoot);
    }
    let note = "";
    if (chain.length === 0) {
      const still = this.stillRunning(uid, procRoot, tsUnixMs);
      if (still !== null) {
        chain = readChainSync(still, procRoot);
        note = "writer gone; the uid's last submitter still runs: ";
      }
      if (chain.length === 0) this.missed++;
      else this.inferred++;
    }
    const verdict = scriptOfChain(chain);
    if (note === "" && verdict.at >= 0) this.remember(chain[verdict.at]!, tsUnixMs, procRoot);
    this.opts.onSubmission({
      source: "maildrop",
      tsUnixMs,
      uid: uid ?? chain[0]?.uid ?? null,
      script: verdict.script,
      line: null,
      sender: verdict.sender,
      recipients: [],
      messageId: null,
      chain: chain.map(({ uid: _uid, ...p }) => p),
      raw: note + chain.map((p) => `${p.pid}:${p.argv.join(" ")}${p.cwd === null ? "" : ` (cwd ${p.cwd})`}`).join(" <- "),
    });
  }

  private remember(p: ChainProcess & { uid: number | null }, tsUnixMs: number, procRoot: string): void {
    const start = startTicks(p.pid, procRoot);
    if (start === null) return;
    const i = this.recent.findIndex((r) => r.pid === p.pid && r.start === start);
    if (i >= 0) this.recent.splice(i, 1);
    this.recent.push({ pid: p.pid, start, uid: p.uid, lastMs: tsUnixMs });
    if (this.recent.length > MAX_RECENT) this.recent.shift();
  }

  /**
   * The pid of the one process that named a script for this uid within
   * RECENT_MS and still runs (same start time), or null when none or several
   * do: a script sending in a loop outlives each postdrop, so a writer missed
   * on a loaded host is most likely its next message.
   */
  private stillRunning(uid: number | null, procRoot: string, nowMs: number): number | null {
    const alive = this.recent.filter((r) => nowMs - r.lastMs <= RECENT_MS && (uid === null || r.uid === uid) && startTicks(r.pid, procRoot) === r.start);
    return alive.length === 1 ? alive[0]!.pid : null;
  }
}

/** A process that named a script: pid and start time identify it across pid reuse. */
interface RecentSubmitter {
  pid: number;
  start: number;
  uid: number | null;
  lastMs: number;
}

const MAX_RECENT = 64;
/** A missed writer is put on a recent submitter only this long after that one's last message. */
const RECENT_MS = 60_000;

function startTicks(pid: number, procRoot: string): number | null {
  const stat = readOrNull(`${procRoot}/${pid}/stat`);
  return stat === undefined ? null : parseProcStatStartTime(stat);
}

/** The file's owner: the submitting user (postdrop is set-gid only). Null once postdrop renamed it. */
function fileUid(path: string): number | null {
  try {
    return statSync(path).uid;
  } catch {
    return null;
  }
}

const SUBMITTER_COMMS = new Set(["postdrop", "sendmail"]);

/** A live postdrop or sendmail of that uid (the newest), or null. One pass over /proc. */
function findSubmitter(uid: number, procRoot: string): number | null {
  let found: number | null = null;
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return null;
  }
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    const comm = readOrNull(`${procRoot}/${pid}/comm`)?.trim();
    if (comm === undefined || !SUBMITTER_COMMS.has(comm)) continue;
    const status = readOrNull(`${procRoot}/${pid}/status`);
    if (status !== undefined && parseProcStatus(status).uid === uid && (found === null || pid > found)) found = pid;
  }
  return found;
}

/**
 * The process and its parents up to the first server or session process
 * (endsChain: sshd, cron, php-fpm, runuser...) or init; a process that exits
 * meanwhile ends the chain too.
 */
export function readChainSync(pid: number, procRoot: string): (ChainProcess & { uid: number | null })[] {
  const out: (ChainProcess & { uid: number | null })[] = [];
  for (let next: number | null = pid; next !== null && next > 1 && out.length < MAX_CHAIN; ) {
    const dir = `${procRoot}/${next}`;
    const status = readOrNull(`${dir}/status`);
    if (status === undefined) break;
    const { ppid, uid } = parseProcStatus(status);
    const cmdline = readOrNull(`${dir}/cmdline`);
    const exe = linkOrNull(`${dir}/exe`);
    const p = { pid: next, uid, comm: /^Name:\s*(.*)$/m.exec(status)?.[1] ?? "", argv: cmdline === undefined ? [] : splitCmdline(cmdline), cwd: linkOrNull(`${dir}/cwd`), exe: exe?.replace(/ \(deleted\)$/, "") ?? null };
    out.push(p);
    if (endsChain(p)) break;
    next = ppid;
  }
  return out;
}

/** A small /proc file (status, cmdline, comm: one page), or undefined once the process is gone. */
function readOrNull(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function linkOrNull(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}
