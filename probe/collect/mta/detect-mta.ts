import { basename } from "node:path";
import { readSocketsFromProc } from "../sockets/proc-socket-source.js";
import { KNOWN_MTA_KINDS, type KnownMtaKind } from "../../../shared/mta/mta-kinds.js";
import { classifyMtaExecutable, MTA_LOOKALIKE_NAMES } from "./classify-mta-executable.js";
import { runCommand, type CommandRunner } from "../run-command.js";
import { detectFlavour } from "./detect-flavour.js";
import { findMtaLogPaths } from "./find-mta-log-paths.js";
import { HostFiles } from "./host-files.js";
import { listMtaBinaries } from "./list-mta-binaries.js";
import { listProcesses, type ProcessSummary } from "./list-processes.js";
import type { MtaCandidate, MtaDetectionReport, MtaFlavour } from "./mta-detection.js";
import { EXIM_BINARY_CANDIDATES, readEximConfig } from "./read-exim-config.js";
import { readPostfixConfig } from "./read-postfix-config.js";
import { parseSendmailCf, SENDMAIL_CF_PATH, SENDMAIL_DEFAULT_QUEUE } from "./read-sendmail-config.js";

/** Options for detectMta; all default to the real host. */
export interface DetectMtaOptions {
  /** Root of the proc filesystem; default "/proc". */
  procRoot?: string;
  /** Directory standing for the host's "/" when reading files; default "/". */
  fsRoot?: string;
  /** Runs postconf / exim -bV; default runCommand. */
  run?: CommandRunner;
  /** Timeout of each command, in ms; default DETECT_COMMAND_TIMEOUT_MS. */
  commandTimeoutMs?: number;
  /**
   * Executables the operator says belong to the MTA (mta.binaryPaths): one
   * installed outside the system directories (a second instance, a build
   * under /opt) is classified by its name, as if it were in /usr/sbin.
   */
  trustedBinaries?: readonly string[];
}

/** Default timeout of one detection command (postconf, exim -bV), in ms. */
export const DETECT_COMMAND_TIMEOUT_MS = 5_000;

/** Preference when evidence ties (e.g. two MTAs installed, none running): the most common on hosting servers first. */
const KIND_ORDER: readonly KnownMtaKind[] = KNOWN_MTA_KINDS;
const SCORE_DAEMON = 100;
const SCORE_LISTENER = 50;
const SCORE_INSTALLED = 10;
const SMTP_PORT = 25;

/** Files whose presence says an MTA is installed (not necessarily running). */
const INSTALL_MARKERS: Readonly<Record<KnownMtaKind, readonly string[]>> = {
  postfix: ["/usr/sbin/postconf", "/usr/sbin/postfix", "/usr/local/sbin/postconf"],
  exim: EXIM_BINARY_CANDIDATES,
  sendmail: ["/usr/lib/sm.bin/sendmail", "/usr/sbin/sendmail.sendmail", "/usr/libexec/sendmail/sendmail"],
  qmail: ["/var/qmail/bin/qmail-send"],
  opensmtpd: ["/usr/sbin/smtpctl", "/usr/local/sbin/smtpctl"],
};

const DEFAULT_QUEUE: Readonly<Record<KnownMtaKind, string>> = {
  postfix: "/var/spool/postfix",
  exim: "/var/spool/exim",
  sendmail: SENDMAIL_DEFAULT_QUEUE,
  qmail: "/var/qmail/queue",
  opensmtpd: "/var/spool/smtpd",
};

class Tally {
  readonly scores = new Map<KnownMtaKind, number>();
  readonly runningExes = new Map<KnownMtaKind, Set<string>>();

  add(kind: KnownMtaKind, score: number): void {
    this.scores.set(kind, (this.scores.get(kind) ?? 0) + score);
  }

  running(kind: KnownMtaKind, exe: string): void {
    const set = this.runningExes.get(kind) ?? new Set<string>();
    set.add(exe);
    this.runningExes.set(kind, set);
  }

  /** Kinds with any evidence, heaviest first; ties keep KIND_ORDER (the sort is stable). */
  ranked(): KnownMtaKind[] {
    const score = (kind: KnownMtaKind): number => this.scores.get(kind) ?? 0;
    return KIND_ORDER.filter((kind) => score(kind) > 0).sort((a, b) => score(b) - score(a));
  }
}

/** OpenSMTPD's daemon is called smtpd like Postfix's and like fakes; it counts only next to its smtpctl. */
async function confirmClass(files: HostFiles, exe: string, argv: readonly string[], trusted: ReadonlySet<string>) {
  const cls = classifyMtaExecutable(exe, argv) ?? (trusted.has(exe) ? classifyMtaExecutable(`/usr/sbin/${basename(exe)}`, argv) : null);
  if (cls?.kind !== "opensmtpd") return cls;
  return (await files.exists(exe.replace(/smtpd$/, "smtpctl"))) ? cls : null;
}

async function scanProcesses(files: HostFiles, processes: readonly ProcessSummary[], trusted: ReadonlySet<string>, tally: Tally, evidence: string[]): Promise<void> {
  for (const proc of processes) {
    if (proc.exe === null) continue;
    const cls = await confirmClass(files, proc.exe, proc.argv, trusted);
    if (cls !== null) {
      tally.running(cls.kind, proc.exe);
      if (cls.role === "daemon") {
        tally.add(cls.kind, SCORE_DAEMON);
        evidence.push(`process ${proc.pid} (${proc.comm}) runs ${proc.exe}: ${cls.kind} daemon`);
      }
    } else if (MTA_LOOKALIKE_NAMES.has(proc.comm) || MTA_LOOKALIKE_NAMES.has(basename(proc.exe))) {
      evidence.push(`process ${proc.pid} named ${proc.comm} runs ${proc.exe}, which is not an MTA binary`);
    }
  }
}

async function scanListeners(
  files: HostFiles,
  procRoot: string,
  trusted: ReadonlySet<string>,
  tally: Tally,
  evidence: string[],
): Promise<boolean> {
  let foreignListener = false;
  let records;
  try {
    records = await readSocketsFromProc({ ports: [SMTP_PORT], procRoot });
  } catch (error) {
    evidence.push(`cannot read listening sockets: ${(error as Error).message}`);
    return false;
  }
  for (const record of records) {
    if (record.direction !== "listen" || record.local_port !== SMTP_PORT) continue;
    const where = `${record.local_address}:${SMTP_PORT}`;
    if (record.exe === null) {
      evidence.push(`${where} is listened on by an unknown process`);
      foreignListener = true;
      continue;
    }
    // qmail-smtpd is started per connection by tcpserver (or xinetd); the listener's argv names it.
    const cls =
      (await confirmClass(files, record.exe, record.argv, trusted)) ??
      (record.argv.some((arg) => arg.startsWith("/var/qmail/bin/")) ? { kind: "qmail" as const, role: "agent" as const } : null);
    if (cls === null) {
      evidence.push(`${where} is listened on by pid ${record.pid} ${record.exe}, not a known MTA binary`);
      foreignListener = true;
      continue;
    }
    tally.add(cls.kind, SCORE_LISTENER);
    evidence.push(`${where} is listened on by pid ${record.pid} ${record.exe} (${cls.kind})`);
  }
  return foreignListener;
}

async function scanInstalled(files: HostFiles, tally: Tally, evidence: string[]): Promise<void> {
  for (const kind of KIND_ORDER) {
    for (const marker of INSTALL_MARKERS[kind]) {
      if (await files.exists(marker)) {
        tally.add(kind, SCORE_INSTALLED);
        evidence.push(`${marker} is installed (${kind})`);
        break;
      }
    }
  }
}

interface KindDetails {
  version: string;
  queuePath: string;
  configuredLogs: string[];
  binaryHints: Parameters<typeof listMtaBinaries>[2];
}

async function readKindDetails(
  kind: KnownMtaKind,
  files: HostFiles,
  run: CommandRunner,
  timeoutMs: number,
  flavour: MtaFlavour | undefined,
  runningExes: readonly string[],
  evidence: string[],
): Promise<KindDetails> {
  const details: KindDetails = { version: "", queuePath: DEFAULT_QUEUE[kind], configuredLogs: [], binaryHints: { runningExes } };
  switch (kind) {
    case "postfix": {
      const config = await readPostfixConfig(files, run, timeoutMs, evidence);
      if (config === null) break;
      details.version = config.version;
      if (config.queueDirectory !== "") details.queuePath = config.queueDirectory;
      // maillog_file=/dev/stdout is the container idiom: nothing to tail.
      if (config.maillogFile.startsWith("/") && !config.maillogFile.startsWith("/dev/")) details.configuredLogs.push(config.maillogFile);
      details.binaryHints = {
        runningExes,
        postfixDaemonDirectory: config.daemonDirectory,
        postfixCommandDirectory: config.commandDirectory,
        postfixSendmailPath: config.sendmailPath,
      };
      break;
    }
    case "exim": {
      const candidates = [...new Set([...runningExes.filter((exe) => !exe.includes("(")), ...EXIM_BINARY_CANDIDATES])];
      const config = await readEximConfig(files, run, candidates, timeoutMs, evidence);
      details.queuePath = flavour === "debian" ? "/var/spool/exim4" : DEFAULT_QUEUE.exim;
      if (config === null) break;
      details.version = config.version;
      if (config.spoolDirectory !== "") details.queuePath = config.spoolDirectory;
      details.configuredLogs.push(...config.mainLogs);
      details.binaryHints = { runningExes, eximBinary: config.binary };
      break;
    }
    case "sendmail": {
      const cf = await files.readText(SENDMAIL_CF_PATH);
      if (cf === null) break;
      const config = parseSendmailCf(cf);
      details.version = config.version;
      details.queuePath = config.queueDirectory;
      evidence.push(`${SENDMAIL_CF_PATH}: version ${config.version || "unknown"}, QueueDirectory=${config.queueDirectory}`);
      break;
    }
    case "qmail": {
      const me = (await files.readText("/var/qmail/control/me"))?.trim();
      if (me) evidence.push(`/var/qmail/control/me: ${me}`);
      break;
    }
    case "opensmtpd":
      break;
  }
  return details;
}

/** Reads one seen MTA's version, queue, logs and binaries; evidence lines go to `evidence`. */
async function readCandidate(
  kind: KnownMtaKind,
  files: HostFiles,
  run: CommandRunner,
  timeoutMs: number,
  flavour: MtaFlavour | undefined,
  tally: Tally,
  evidence: string[],
): Promise<MtaCandidate> {
  const runningExes = [...(tally.runningExes.get(kind) ?? [])];
  const details = await readKindDetails(kind, files, run, timeoutMs, flavour, runningExes, evidence);
  const logPaths = await findMtaLogPaths(files, { kind, flavour, configured: details.configuredLogs }, evidence);
  const binaryPaths = await listMtaBinaries(files, kind, details.binaryHints);
  return {
    kind,
    ...(flavour === undefined ? {} : { flavour }),
    version: details.version,
    binaryPaths,
    logPaths,
    queuePath: details.queuePath,
  };
}

/**
 * Finds the host's MTA from what runs (process executables, not names:
 * spam tools call themselves "sendmail" or "smtpd"), what listens on port 25,
 * what is installed, and the MTA's own configuration. Every other MTA seen is
 * read the same way and reported in `candidates` (its evidence prefixed with
 * its kind), so a forced `mta.kind` can use it. Never throws: no MTA gives
 * kind "none", an SMTP listener we cannot place gives "unknown".
 */
export async function detectMta(opts: DetectMtaOptions = {}): Promise<MtaDetectionReport> {
  const evidence: string[] = [];
  try {
    const files = new HostFiles(opts.fsRoot ?? "/");
    const procRoot = opts.procRoot ?? "/proc";
    const run = opts.run ?? runCommand;
    const timeoutMs = opts.commandTimeoutMs ?? DETECT_COMMAND_TIMEOUT_MS;
    const tally = new Tally();

    const trusted = new Set(opts.trustedBinaries ?? []);
    await scanProcesses(files, await listProcesses(procRoot), trusted, tally, evidence);
    const foreignListener = await scanListeners(files, procRoot, trusted, tally, evidence);
    await scanInstalled(files, tally, evidence);

    const [kind, ...others] = tally.ranked();
    if (kind === undefined) {
      return { kind: foreignListener ? "unknown" : "none", version: "", binaryPaths: [], logPaths: [], queuePath: "", evidence, candidates: [] };
    }
    for (const other of others) evidence.push(`${other} is also present but weighs less than ${kind}`);
    const flavour = await detectFlavour(files, evidence);
    const chosen = await readCandidate(kind, files, run, timeoutMs, flavour, tally, evidence);
    const candidates = [chosen];
    for (const other of others) {
      const own: string[] = [];
      candidates.push(await readCandidate(other, files, run, timeoutMs, flavour, tally, own));
      evidence.push(...own.map((line) => `${other}: ${line}`));
    }
    return { ...chosen, evidence, candidates };
  } catch (error) {
    evidence.push(`detection failed: ${(error as Error).message}`);
    return { kind: "unknown", version: "", binaryPaths: [], logPaths: [], queuePath: "", evidence, candidates: [] };
  }
}
