import { firstStderrLine, type CommandRunner } from "../run-command.js";
import type { HostFiles } from "./host-files.js";
import { parsePostconfOutput } from "./read-postfix-config.js";

/** What detection learns from the Exim binary. */
export interface EximConfig {
  /** Host path of the exim binary that answered. */
  binary: string;
  /** "4.96"; "" when -bV did not say. */
  version: string;
  /** spool_directory (queue in its input/ subfolder); "" when unknown. */
  spoolDirectory: string;
  /** Main log files resolved from log_file_path; [] when Exim logs only to syslog or did not say. */
  mainLogs: string[];
}

/** Where the exim binary is looked for when no running process names it: Debian, cPanel/RHEL, source installs. */
export const EXIM_BINARY_CANDIDATES = ["/usr/sbin/exim4", "/usr/sbin/exim", "/usr/exim/bin/exim", "/usr/local/sbin/exim"] as const;

/** Version from `exim -bV` output ("Exim version 4.96 #2 built …"); "" when absent. */
export function parseEximVersion(text: string): string {
  return /^Exim version (\S+)/m.exec(text)?.[1] ?? "";
}

/**
 * Main log paths from Exim's log_file_path: colon-separated entries, "syslog"
 * means syslog only, "%s" stands for main/reject/panic, an empty entry means
 * the spool's log/ folder. Date-stamped paths (%D, %M) change name daily and
 * are returned as-is (with a note) for the caller to skip.
 */
export function eximMainLogPaths(logFilePath: string, spoolDirectory: string): { paths: string[]; notes: string[] } {
  const paths: string[] = [];
  const notes: string[] = [];
  const entries = logFilePath.split(":").map((entry) => entry.trim());
  for (const entry of entries) {
    if (entry === "syslog") continue;
    if (entry === "") {
      if (spoolDirectory !== "") paths.push(`${spoolDirectory}/log/mainlog`);
      continue;
    }
    if (/%[DM]/.test(entry)) {
      notes.push(`log_file_path ${entry} is date-stamped; tailing a fixed file name is not supported`);
      continue;
    }
    paths.push(entry.replace("%s", "main"));
  }
  return { paths, notes };
}

/** Asks the exim binary (first of candidates that exists) for its version, spool and log paths; null when none answers. */
export async function readEximConfig(
  files: HostFiles,
  run: CommandRunner,
  candidates: readonly string[],
  timeoutMs: number,
  evidence: string[],
): Promise<EximConfig | null> {
  for (const binary of candidates) {
    if (!(await files.isExecutable(binary))) continue;
    try {
      const versionOutput = await run(files.local(binary), ["-bV"], { timeoutMs });
      const version = parseEximVersion(versionOutput.stdout);
      if (version === "") {
        evidence.push(`${binary} -bV did not report a version (exit ${versionOutput.code}): ${firstStderrLine(versionOutput)}`);
      } else {
        evidence.push(`${binary} -bV: Exim version ${version}`);
      }
      const optionsOutput = await run(files.local(binary), ["-bP", "spool_directory", "log_file_path"], { timeoutMs });
      const options = parsePostconfOutput(optionsOutput.stdout);
      const spoolDirectory = options.get("spool_directory") ?? "";
      const logFilePath = options.get("log_file_path");
      const logs = logFilePath === undefined ? { paths: [], notes: [] } : eximMainLogPaths(logFilePath, spoolDirectory);
      evidence.push(...logs.notes);
      if (spoolDirectory !== "") evidence.push(`${binary} -bP: spool_directory=${spoolDirectory} log_file_path=${logFilePath ?? ""}`);
      return { binary, version, spoolDirectory, mainLogs: logs.paths };
    } catch (error) {
      evidence.push(`${binary} could not run: ${(error as Error).message}`);
    }
  }
  return null;
}
