import { basename } from "node:path";
import { firstStderrLine, runCommand, type CommandOutput, type CommandRunner } from "../run-command.js";
import { HostFiles } from "../mta/host-files.js";
import type { MtaDetection } from "../mta/mta-detection.js";
import { countPostfixQueueFiles } from "./count-postfix-queue-files.js";
import { EximBpParser, parseEximBpc } from "./parse-exim-bp.js";
import { PostqueueJsonParser } from "./parse-postqueue-json.js";
import { PostqueueTextParser } from "./parse-postqueue-text.js";
import { parseQmailQstat, QmailQreadParser } from "./parse-qmail-queue.js";
import { SendmailMailqParser } from "./parse-sendmail-mailq.js";
import type { QueueSnapshot } from "./queue-snapshot.js";
import { countOnlySnapshot } from "./summarize-queue.js";

/** Options for readQueueSnapshot. */
export interface ReadQueueSnapshotOptions {
  /** Timeout of a queue listing command, in ms; default QUEUE_LIST_TIMEOUT_MS. */
  listTimeoutMs?: number;
  /** Timeout of a queue count command (exim -bpc, qmail-qstat), in ms; default QUEUE_COUNT_TIMEOUT_MS. */
  countTimeoutMs?: number;
  /** Clock, ms since the Unix epoch; default Date.now. */
  now?: () => number;
  /** Directory standing for the host's "/" (queue directory counting, finding mailq); default "/". */
  fsRoot?: string;
  /** Offset of the MTA's clock from UTC in minutes, for listings without zone; default the local zone. */
  utcOffsetMinutes?: number;
}

/** Default timeout of a queue listing, in ms: listing a 100k-message spam queue takes seconds, not minutes. */
export const QUEUE_LIST_TIMEOUT_MS = 30_000;
/** Default timeout of a queue count, in ms. */
export const QUEUE_COUNT_TIMEOUT_MS = 10_000;

/** A queue could not be read at all; the message names the command and what it said. */
export class QueueReadError extends Error {
  override readonly name = "QueueReadError";
}

interface Context {
  detection: MtaDetection;
  run: CommandRunner;
  files: HostFiles;
  listTimeoutMs: number;
  countTimeoutMs: number;
  now: () => number;
  utcOffsetMinutes: number | undefined;
}

function binary(detection: MtaDetection, name: RegExp, fallback: string): string {
  return detection.binaryPaths.find((path) => name.test(basename(path))) ?? fallback;
}

function describe(cmd: string, args: readonly string[], output: CommandOutput): string {
  const what = output.timedOut ? "timed out" : `failed (exit ${output.code})`;
  const said = firstStderrLine(output);
  return `${basename(cmd)} ${args.join(" ")} ${what}${said === "" ? "" : `: ${said}`}`;
}

async function streamed<P extends { line(text: string): void; finish(): QueueSnapshot }>(
  ctx: Context,
  cmd: string,
  args: readonly string[],
  parser: P,
): Promise<{ snapshot: QueueSnapshot | null; failure: string; output: CommandOutput | null }> {
  try {
    const output = await ctx.run(ctx.files.local(cmd), args, { timeoutMs: ctx.listTimeoutMs, onStdoutLine: (line) => parser.line(line) });
    if (output.code === 0 && !output.timedOut) return { snapshot: parser.finish(), failure: "", output };
    return { snapshot: null, failure: describe(cmd, args, output), output };
  } catch (error) {
    return { snapshot: null, failure: (error as Error).message, output: null };
  }
}

async function readPostfix(ctx: Context): Promise<QueueSnapshot> {
  const postqueue = binary(ctx.detection, /^postqueue$/, "/usr/sbin/postqueue");
  const observedAt = ctx.now();
  const json = await streamed(ctx, postqueue, ["-j"], new PostqueueJsonParser(observedAt));
  if (json.snapshot !== null) return json.snapshot;
  let failure = json.failure;
  // Postfix < 3.1 has no -j and prints its usage; the text listing says the same with less precision.
  if (/usage|invalid option|illegal option/i.test(json.output?.stderr ?? "")) {
    const text = await streamed(ctx, postqueue, ["-p"], new PostqueueTextParser({ nowUnixMs: observedAt, utcOffsetMinutes: ctx.utcOffsetMinutes }));
    if (text.snapshot !== null) return text.snapshot;
    failure = text.failure;
  }
  const queueDirectory = ctx.detection.queuePath || "/var/spool/postfix";
  try {
    const counts = await countPostfixQueueFiles(ctx.files.local(queueDirectory));
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    return countOnlySnapshot("postfix", `files in ${queueDirectory}`, observedAt, total, counts, counts.hold ?? 0);
  } catch (error) {
    throw new QueueReadError(`${failure}; counting ${queueDirectory} failed too: ${(error as Error).message}`);
  }
}

async function readExim(ctx: Context): Promise<QueueSnapshot> {
  const exim = binary(ctx.detection, /^exim4?$/, "/usr/sbin/exim4");
  let count: number | null = null;
  let countFailure = "";
  try {
    const output = await ctx.run(ctx.files.local(exim), ["-bpc"], { timeoutMs: ctx.countTimeoutMs });
    count = output.code === 0 ? parseEximBpc(output.stdout) : null;
    if (count === null) countFailure = describe(exim, ["-bpc"], output);
  } catch (error) {
    countFailure = (error as Error).message;
  }
  const observedAt = ctx.now();
  const listing = await streamed(ctx, exim, ["-bp"], new EximBpParser(observedAt));
  if (listing.snapshot !== null) return listing.snapshot;
  if (count !== null) return countOnlySnapshot("exim", `${basename(exim)} -bpc`, observedAt, count);
  throw new QueueReadError(`${listing.failure}; ${countFailure}`);
}

async function readSendmail(ctx: Context): Promise<QueueSnapshot> {
  const useMailq = await ctx.files.isExecutable("/usr/bin/mailq");
  const [cmd, args] = useMailq ? ["/usr/bin/mailq", []] : [binary(ctx.detection, /^sendmail$/, "/usr/sbin/sendmail"), ["-bp"]];
  const result = await streamed(ctx, cmd, args, new SendmailMailqParser({ nowUnixMs: ctx.now(), utcOffsetMinutes: ctx.utcOffsetMinutes }));
  if (result.snapshot === null) throw new QueueReadError(result.failure);
  return result.snapshot;
}

async function readQmail(ctx: Context): Promise<QueueSnapshot> {
  let todo: number | null = null;
  let total: number | null = null;
  try {
    const output = await ctx.run(ctx.files.local("/var/qmail/bin/qmail-qstat"), [], { timeoutMs: ctx.countTimeoutMs });
    const stat = output.code === 0 ? parseQmailQstat(output.stdout) : null;
    todo = stat?.todo ?? null;
    total = stat?.total ?? null;
  } catch {
    // qmail-qstat is a shell script over the queue folders; without it the listing still counts the preprocessed messages.
  }
  const observedAt = ctx.now();
  const listing = await streamed(ctx, "/var/qmail/bin/qmail-qread", [], new QmailQreadParser(observedAt));
  if (listing.snapshot !== null) {
    const snapshot = listing.snapshot;
    if (todo === null) return snapshot;
    return { ...snapshot, total: snapshot.total + todo, byQueue: { ...snapshot.byQueue, todo } };
  }
  if (total !== null && todo !== null) {
    return countOnlySnapshot("qmail", "qmail-qstat", observedAt, total, { queued: total - todo, todo });
  }
  throw new QueueReadError(listing.failure);
}

/**
 * Reads the detected MTA's queue with its own read-only listing commands,
 * under timeouts: Postfix `postqueue -j` (then `-p` on Postfix < 3.1, then
 * counting queue files), Exim `-bpc` and `-bp`, Sendmail `mailq`, qmail
 * `qmail-qstat` and `qmail-qread`. Resolves null when the MTA has no queue
 * reader (OpenSMTPD, unknown, none); a snapshot with complete=false when only
 * counts were available; rejects with QueueReadError when nothing could be read.
 */
export async function readQueueSnapshot(
  detection: MtaDetection,
  run: CommandRunner = runCommand,
  options: ReadQueueSnapshotOptions = {},
): Promise<QueueSnapshot | null> {
  const ctx: Context = {
    detection,
    run,
    files: new HostFiles(options.fsRoot ?? "/"),
    listTimeoutMs: options.listTimeoutMs ?? QUEUE_LIST_TIMEOUT_MS,
    countTimeoutMs: options.countTimeoutMs ?? QUEUE_COUNT_TIMEOUT_MS,
    now: options.now ?? Date.now,
    utcOffsetMinutes: options.utcOffsetMinutes,
  };
  switch (detection.kind) {
    case "postfix":
      return readPostfix(ctx);
    case "exim":
      return readExim(ctx);
    case "sendmail":
      return readSendmail(ctx);
    case "qmail":
      return readQmail(ctx);
    default:
      return null;
  }
}
