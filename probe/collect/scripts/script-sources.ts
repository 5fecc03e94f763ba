import type { LogBatch, LogTailer } from "../logs/log-tailer.js";
import { MaildropWatcher } from "./maildrop-watcher.js";
import { parsePhpMailLogLine } from "./parse-php-mail-log.js";
import { ScriptAttributor } from "./script-attributor.js";
import type { ScriptSubmission } from "./script-submission.js";

/** Where script submissions are seen (probe config `scripts`, resolved against the MTA found). */
export interface ScriptSourcesOptions {
  /** Postfix's maildrop directory to watch, or null. */
  maildropDir: string | null;
  /** PHP mail.log files to follow. */
  phpMailLogs: readonly string[];
  onWarning: (message: string) => void;
}

/** Lines the polls since the previous take read from one PHP mail.log. */
export interface PhpLogRead {
  path: string;
  lines: number;
  recognised: number;
  /** The last poll's batch (its commit covers the earlier ones). */
  last: LogBatch | undefined;
}

/**
 * The probe's script evidence on hosts whose MTA logs no script (Postfix):
 * the maildrop watcher and PHP's mail.log files, feeding one
 * ScriptAttributor. PHP's logs are tailed like the MTA's (rotation, cursors
 * committed with the batch that used them) and must be read before the MTA
 * lines of the same collect: PHP writes its line before it starts sendmail.
 */
export class ScriptSources {
  readonly attributor = new ScriptAttributor();
  /** Submissions seen since the last take (sent to the collector as evidence). */
  private fresh: ScriptSubmission[] = [];
  private readonly watcher: MaildropWatcher | null;
  private readonly php: { path: string; tailer: LogTailer; read: PhpLogRead }[];

  constructor(
    private readonly opts: ScriptSourcesOptions,
    tailerFor: (path: string) => LogTailer,
  ) {
    this.watcher = opts.maildropDir === null ? null : new MaildropWatcher({ dir: opts.maildropDir, onSubmission: (s) => this.add(s), onWarning: opts.onWarning });
    this.php = opts.phpMailLogs.map((path) => ({ path, tailer: tailerFor(path), read: { path, lines: 0, recognised: 0, last: undefined } }));
  }

  /** The files followed and the folder watched, for the start-up log. */
  get describe(): { maildropDir: string | null; phpMailLogs: string[] } {
    return { maildropDir: this.opts.maildropDir, phpMailLogs: this.php.map((p) => p.path) };
  }

  async open(onWarning: (message: string) => void): Promise<void> {
    this.watcher?.start();
    for (const p of this.php) {
      try {
        await p.tailer.open();
      } catch (error) {
        onWarning(`cannot open PHP mail log ${p.path} yet: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Reads what PHP's logs gained into the attributor. Call it after reading
   * (and before parsing) each chunk of the MTA's log: PHP writes its line
   * before sendmail runs, so every mail() behind a pickup line already read is
   * then known.
   */
  async poll(maxPolls: number): Promise<void> {
    for (const p of this.php) {
      for (let i = 0; i < maxPolls; i++) {
        const batch = await p.tailer.poll();
        for (const line of batch.lines) {
          p.read.lines++;
          const call = parsePhpMailLogLine(line);
          if (call === null) continue;
          p.read.recognised++;
          this.add({ source: "php_mail_log", tsUnixMs: call.tsUnixMs, uid: null, script: call.script, line: call.line, sender: null, recipients: call.recipients, messageId: call.messageId, chain: [], raw: call.raw });
        }
        p.read.last = batch;
        if (!batch.more) break;
      }
    }
  }

  /** What the polls since the previous call read, per PHP log. */
  takeReads(): PhpLogRead[] {
    return this.php.map((p) => {
      const read = p.read;
      p.read = { path: p.path, lines: 0, recognised: 0, last: undefined };
      return read;
    });
  }

  /** Submissions seen since the previous call. */
  take(): ScriptSubmission[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  async close(): Promise<void> {
    this.watcher?.stop();
    for (const p of this.php) await p.tailer.close();
  }

  private add(s: ScriptSubmission): void {
    this.attributor.add(s);
    if (this.fresh.length < 10_000) this.fresh.push(s);
  }
}
