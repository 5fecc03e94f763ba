// Scripts submitting through Postfix's sendmail (issue 12 item 6), for the
// tests that check they are named by path and for the detection-quality run:
// each function takes a running Postfix lab, writes a script under the web
// user's public_html and runs it as that user, as a web server or cron would.
//  - a shell script piping tens of messages into sendmail
//  - a PHP script calling mail() (php-cli), with or without PHP's mail.log
//  - PHP code run without a script file on its command line (`php -r
//    'include ...'`), as php-fpm runs it: only mail.log names the file
//  - a contact form: a few messages, the look-alike that must stay silent
import { access, chmod, chown, writeFile } from "node:fs/promises";
import type { PostfixLab } from "../mta/postfix-lab.js";
import { lookupUser, run } from "../mta/lab-common.js";
import { prepareScriptDir } from "../mta/drive-traffic.js";

/** What a scenario sent, and the path an incident must name. */
export interface ScriptRun {
  /** Full path of the script that called sendmail / mail(). */
  script: string;
  /** Messages it submitted. */
  messages: number;
  /** When it started, ms since the epoch. */
  firstActivityMs: number;
  /** How long it ran, ms. */
  durationMs: number;
}

async function writeOwned(path: string, text: string, user: string): Promise<void> {
  const owner = await lookupUser(user);
  if (!owner) throw new Error(`no user ${user}`);
  await writeFile(path, text);
  await chown(path, owner.uid, owner.gid);
  await chmod(path, 0o755);
}

async function runAs(lab: PostfixLab, cwd: string, argv: readonly string[]): Promise<void> {
  const r = await run("runuser", ["-u", lab.webUser, "--", ...argv], { cwd, allowFailure: true, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${argv.join(" ")} as ${lab.webUser} exited ${r.code}: ${r.stderr}${r.stdout}`);
}

/**
 * A shell script in public_html/<relative> sending `count` messages through
 * sendmail -t, one per recipient domain. With `launcherArgument`, the script
 * runs under a `sh -c` launcher carrying that argument (a job runner passing
 * its environment as JSON): a long one puts a string over the wire limit in
 * the maildrop ancestry.
 */
export async function shellScriptBlast(lab: PostfixLab, relative: string, count: number, launcherArgument?: string): Promise<ScriptRun> {
  const dir = await prepareScriptDir(lab.webUser, relative);
  const script = `${dir}/send.sh`;
  const sendmail = [lab.sendmailPath, ...lab.sendmailArgs, "-t", "-i"].join(" ");
  await writeOwned(
    script,
    `#!/bin/sh\ni=0\nwhile [ $i -lt ${count} ]; do\n  printf 'From: ${lab.webUser}@${lab.domain}\\nTo: lead%s@prospect%s.example\\nSubject: Cheap meds\\n\\nBuy now.\\n' $i $i | ${sendmail} || exit 1\n  i=$((i+1))\ndone\n`,
    lab.webUser,
  );
  const firstActivityMs = Date.now();
  // `; exit $?` keeps the launcher alive (no exec of the last command) as the script's parent.
  await runAs(lab, dir, launcherArgument === undefined ? ["sh", script] : ["sh", "-c", 'sh "$1"; exit $?', "launcher", script, launcherArgument]);
  return { script, messages: count, firstActivityMs, durationMs: Date.now() - firstActivityMs };
}

/** Options of a PHP mailer run. */
export interface PhpMailerOptions {
  /** Folder under public_html. */
  relative: string;
  /** File name of the script. */
  file: string;
  /** mail() calls. */
  count: number;
  /** PHP's mail.log (written by the web user), or undefined for none. */
  mailLog?: string;
  /** Run it as `php -r 'include "<file>";'` (no file on the command line, as under php-fpm). */
  withoutFileArgument?: boolean;
}

/** A PHP script calling mail() `count` times through the lab's sendmail, run by php-cli as the web user. */
export async function phpMailer(lab: PostfixLab, o: PhpMailerOptions): Promise<ScriptRun> {
  const dir = await prepareScriptDir(lab.webUser, o.relative);
  const script = `${dir}/${o.file}`;
  await writeOwned(
    script,
    `<?php\nfor ($i = 0; $i < ${o.count}; $i++) {\n  if (!mail("winner$i@lottery$i.example", "You won", "Claim your prize.", "From: ${lab.webUser}@${lab.domain}")) exit(1);\n}\n`,
    lab.webUser,
  );
  // PHP appends to its mail.log; scripts sharing one log (as an app's pool does) must not truncate it for the next.
  if (o.mailLog !== undefined && !(await access(o.mailLog).then(() => true, () => false))) {
    await writeOwned(o.mailLog, "", lab.webUser);
    await chmod(o.mailLog, 0o644);
  }
  const ini = ["-d", `sendmail_path=${[lab.sendmailPath, ...lab.sendmailArgs, "-t", "-i"].join(" ")}`, "-d", `mail.log=${o.mailLog ?? ""}`, "-d", "date.timezone=Europe/Paris"];
  const firstActivityMs = Date.now();
  await runAs(lab, dir, o.withoutFileArgument ? ["php", ...ini, "-r", `include "${script}";`] : ["php", ...ini, script]);
  return { script, messages: o.count, firstActivityMs, durationMs: Date.now() - firstActivityMs };
}
