import type { MtaDetection } from "../mta/mta-detection.js";
import { HostFiles } from "../mta/host-files.js";
import type { CommandRunner } from "../run-command.js";
import { findPhpMailLogs } from "./find-php-mail-logs.js";
import type { ScriptSourcesOptions } from "./script-sources.js";

/** The probe config's `scripts` section. */
export interface ScriptsConfig {
  maildropDir?: string | undefined;
  phpMailLogs?: string[] | undefined;
}

/**
 * Where script submissions are looked for on this host: Postfix's maildrop
 * (queue directory + /maildrop, unless configured) and PHP's mail.log files
 * (configured, or found in php.ini, PHP-FPM pools and `php -i`). Other MTAs
 * log the script themselves (Exim cwd=) or have no maildrop: PHP's logs still apply.
 */
export async function resolveScriptSources(config: ScriptsConfig, mta: MtaDetection, run: CommandRunner, files = new HostFiles()): Promise<Omit<ScriptSourcesOptions, "onWarning">> {
  const defaultMaildrop = mta.kind === "postfix" && mta.queuePath ? `${mta.queuePath.replace(/\/$/, "")}/maildrop` : null;
  const maildropDir = config.maildropDir === undefined ? defaultMaildrop : config.maildropDir === "" ? null : config.maildropDir;
  const phpMailLogs = config.phpMailLogs ?? (await findPhpMailLogs(files, run)).map((s) => s.path);
  return { maildropDir, phpMailLogs };
}
