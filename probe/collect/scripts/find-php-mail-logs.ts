import type { HostFiles } from "../mta/host-files.js";
import type { CommandRunner } from "../run-command.js";
import { compareText } from "../../../shared/text/compare-text.js";

/**
 * Where hosting stacks keep PHP's ini files and PHP-FPM pools (`*` is one
 * path segment): Debian/Ubuntu (and Ondřej's PPA), RHEL/Remi, cPanel's
 * EasyApache, Plesk, ServerPilot (one pool per app), DirectAdmin, source builds.
 */
export const PHP_CONFIG_GLOBS = [
  "/etc/php.ini",
  "/etc/php.d/*.ini",
  "/etc/php-fpm.d/*.conf",
  "/etc/php-fpm.conf",
  "/etc/php/*/*/php.ini",
  "/etc/php/*/*/conf.d/*.ini",
  "/etc/php/*/fpm/pool.d/*.conf",
  "/etc/opt/remi/*/php.ini",
  "/etc/opt/remi/*/php.d/*.ini",
  "/etc/opt/remi/*/php-fpm.d/*.conf",
  "/opt/cpanel/*/root/etc/php.ini",
  "/opt/cpanel/*/root/etc/php.d/*.ini",
  "/opt/cpanel/*/root/etc/php-fpm.d/*.conf",
  "/opt/plesk/php/*/etc/php.ini",
  "/opt/plesk/php/*/etc/php.d/*.ini",
  "/opt/plesk/php/*/etc/php-fpm.d/*.conf",
  "/etc/*-sp/php.ini",
  "/etc/*-sp/conf.d/*.ini",
  "/etc/*-sp/fpm-pools.d/*.conf",
  "/usr/local/php*/lib/php.ini",
  "/usr/local/php*/etc/php-fpm.d/*.conf",
  "/usr/local/lib/php.ini",
  "/usr/local/etc/php/*/php.ini",
] as const;

/** A mail.log setting found, and where. */
export interface PhpMailLogSetting {
  /** The log file (after FPM's $pool substitution). */
  path: string;
  /** File (or "php -i") that sets it. */
  setBy: string;
}

const INI_LINE = /^\s*(?:php_admin_value|php_value)\s*\[\s*mail\.log\s*\]\s*=\s*(.*?)\s*$|^\s*mail\.log\s*=\s*(.*?)\s*$/;

/**
 * The mail.log files PHP writes on this host: every ini file, every PHP-FPM
 * pool's php_admin_value[mail.log] (with $pool put in) and `php -i` of each
 * php found. "syslog" (PHP then logs through syslog) and empty values are
 * left out. Sorted, one entry per path.
 */
export async function findPhpMailLogs(files: HostFiles, run: CommandRunner | undefined): Promise<PhpMailLogSetting[]> {
  const found = new Map<string, string>();
  for (const pattern of PHP_CONFIG_GLOBS) {
    for (const file of await expand(files, pattern)) {
      const text = await files.readText(file);
      if (text !== null) for (const path of mailLogsInConfig(text)) if (!found.has(path)) found.set(path, file);
    }
  }
  if (run !== undefined) {
    for (const php of ["/usr/bin/php", "/usr/local/bin/php"]) {
      if (!(await files.isExecutable(php))) continue;
      const out = await run(php, ["-i"], { timeoutMs: 10_000 }).catch(() => null);
      const value = /^mail\.log => (.*?) => /m.exec(out?.stdout ?? "")?.[1];
      if (value !== undefined && usable(value)) if (!found.has(value)) found.set(value, `${php} -i`);
    }
  }
  return [...found].map(([path, setBy]) => ({ path, setBy })).sort((a, b) => compareText(a.path, b.path));
}

/** mail.log values of one ini or FPM pool file (a pool's `$pool` replaced by its [section] name). */
export function mailLogsInConfig(text: string): string[] {
  const out: string[] = [];
  let section = "";
  for (const line of text.split("\n")) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const m = INI_LINE.exec(line);
    if (m === null) continue;
    const value = unquote((m[1] ?? m[2] ?? "").replace(/\s*;.*$/, "")).replaceAll("$pool", section);
    if (usable(value)) out.push(value);
  }
  return out;
}

function unquote(v: string): string {
  return v.replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
}

function usable(value: string): boolean {
  return value.startsWith("/") && value !== "no value";
}

/** Host paths matching a pattern whose `*` stands for one path segment (or part of one). */
async function expand(files: HostFiles, pattern: string): Promise<string[]> {
  let paths = ["/"];
  for (const segment of pattern.split("/").filter(Boolean)) {
    const next: string[] = [];
    for (const dir of paths) {
      if (!segment.includes("*")) {
        next.push(`${dir === "/" ? "" : dir}/${segment}`);
        continue;
      }
      const re = new RegExp(`^${segment.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")}$`);
      for (const name of await files.list(dir)) if (re.test(name)) next.push(`${dir === "/" ? "" : dir}/${name}`);
    }
    paths = next;
  }
  const out: string[] = [];
  for (const p of paths) if (await files.exists(p)) out.push(p);
  return out;
}
