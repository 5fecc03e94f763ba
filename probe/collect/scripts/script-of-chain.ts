import { posix } from "node:path";
import type { ChainProcess } from "./script-submission.js";

/** Programs that only carry a message to the MTA: the script is above them. */
const SUBMITTERS = new Set(["postdrop", "sendmail", "sendmail.postfix", "mail", "mailx", "bsd-mailx", "s-nail", "mutt", "msmtp"]);
const SHELLS = new Set(["sh", "dash", "bash", "zsh", "ksh", "ash", "busybox"]);
/** Interpreters whose first non-option argument is the script they run. */
const INTERPRETER = /^(php[\d.]*|php-cli|perl[\d.]*|python[\d.]*|ruby[\d.]*|node|nodejs|lua[\d.]*|tclsh[\d.]*)$/;
/** Options of those interpreters that take the next argument as their value. */
const OPTION_WITH_VALUE = new Set(["-d", "-c", "-z", "-I", "-M", "-W", "-X", "-r", "-e", "-E", "--require", "--import"]);
/** Options after which the script is the next argument (php -f file). */
const SCRIPT_OPTION = new Set(["-f", "--"]);
/** Inline code, no file: look further up. */
const INLINE_OPTION = new Set(["-c", "-r", "-e", "-E"]);
/** Where the trail ends without a script: servers, session managers, schedulers. */
const STOPPERS = /^(php-fpm.*|php-cgi.*|lsphp.*|apache2|httpd|nginx|sshd|cron|crond|atd|systemd|init|login|su|sudo|runuser|screen|tmux|master)$/;

/** What an ancestry says about the submission: the script's path and the sender asked for. */
export interface ChainVerdict {
  script: string | null;
  /** Position in the chain of the process that names the script, or -1. */
  at: number;
  /** sendmail's -f value, or null. */
  sender: string | null;
  /** True when a PHP process is among the ancestors (its mail.log line may name the script). */
  php: boolean;
}

/**
 * Reads an ancestry (writer first): the first script an interpreter runs above
 * the submitting programs (a shell's `-c` wrapper, as PHP's popen() makes, is
 * passed through), or the executable of a compiled program that ran
 * sendmail; null when the trail reaches a server or session (php-fpm, sshd,
 * cron) first. A relative script path is resolved against that process's cwd.
 */
export function scriptOfChain(chain: readonly ChainProcess[]): ChainVerdict {
  let sender: string | null = null;
  const php = chain.some((p) => /^(php|lsphp)/.test(nameOf(p)));
  for (const [at, p] of chain.entries()) {
    const name = nameOf(p);
    if (SUBMITTERS.has(name)) {
      if (name !== "postdrop") sender ??= senderOption(p.argv); // postdrop's -r is its record format
      continue;
    }
    if (STOPPERS.test(name) || p.argv.length === 0) return { script: null, at: -1, sender, php };
    const shell = SHELLS.has(name);
    if (shell || INTERPRETER.test(name)) {
      const arg = scriptArgument(p.argv, shell || name.startsWith("python"));
      if (arg === "inline") continue;
      if (arg === null) {
        if (shell) continue; // an interactive shell: whoever started it
        return { script: null, at: -1, sender, php };
      }
      return { script: resolve(arg, p.cwd), at, sender, php };
    }
    return { script: p.exe ?? resolve(p.argv[0]!, p.cwd), at, sender, php };
  }
  return { script: null, at: -1, sender, php };
}

/**
 * True for a process where an ancestry's meaning ends (a server, a session, a
 * scheduler): what runs above it (sshd's parents, a CI runner, init) says
 * nothing of the submission, so the watcher reads no further.
 */
export function endsChain(p: Pick<ChainProcess, "argv" | "comm">): boolean {
  return STOPPERS.test(nameOf(p));
}

function nameOf(p: Pick<ChainProcess, "argv" | "comm">): string {
  const argv0 = p.argv[0] ?? "";
  // Login shells are "-bash"; php-fpm rewrites its title ("php-fpm: pool www").
  const base = posix.basename(argv0.split(/[:\s]/)[0]!).replace(/^-/, "");
  return base.length > 0 ? base : p.comm;
}

/** `dashC`: `-c` is inline code (shells, Python), not a config file (PHP). */
function scriptArgument(argv: readonly string[], dashC: boolean): string | null | "inline" {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (INLINE_OPTION.has(a) && (dashC || a !== "-c")) return "inline";
    if (SCRIPT_OPTION.has(a)) return argv[i + 1] ?? null;
    if (OPTION_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    return a;
  }
  return null;
}

function senderOption(argv: readonly string[]): string | null {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-f" || a === "-r") return stripAngles(argv[i + 1] ?? "");
    if (/^-[fr]./.test(a)) return stripAngles(a.slice(2));
  }
  return null;
}

function stripAngles(s: string): string {
  return s.replace(/^<(.*)>$/, "$1");
}

function resolve(path: string, cwd: string | null): string {
  return posix.isAbsolute(path) || cwd === null ? posix.normalize(path) : posix.join(cwd, path);
}
