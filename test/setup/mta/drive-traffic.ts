// Real traffic for the MTA labs: SMTP dialogues through swaks (a real SMTP
// client, as spam bots and admins use) and local submissions through the
// MTA's own sendmail interface run as a given user from a given directory,
// the way a PHP script's mail() call reaches the MTA.
import { run } from "./lab-common.js";

/** What a swaks run ended with; swaks exit codes tell where the dialogue stopped (0 sent, 24 RCPT rejected, 28 AUTH failed, ...). */
export interface SmtpOutcome {
  exitCode: number;
  /** swaks' full transcript (client and server lines). */
  transcript: string;
  /** The last server reply (e.g. "554 5.7.1 <x@y>: Relay access denied"). */
  lastReply: string;
}

/** Where and how to connect; `localInterface` picks the client's loopback source address so each scenario has its own client IP. */
export interface SmtpTarget {
  host: string;
  port: number;
  localInterface?: string;
  /** swaks per-command timeout in seconds (default 20). */
  timeoutSeconds?: number;
  /** EHLO name (default client.example). */
  helo?: string;
}

/** One message over SMTP. */
export interface SmtpMessage {
  from: string;
  to: readonly string[];
  subject?: string;
  /** Extra headers, e.g. { "X-Mailer": "PHPMailer" }. */
  headers?: Record<string, string>;
  /** Headers that replace swaks' own (a forged `From:`). */
  replaceHeaders?: Record<string, string>;
  body?: string;
}

/** An AUTH login. */
export interface SmtpAuth {
  user: string;
  password: string;
  /** Default LOGIN, as most spam bots and mail clients use. */
  mechanism?: "PLAIN" | "LOGIN";
}

/** Runs one swaks dialogue and returns how it ended (never throws on an SMTP refusal; throws if swaks itself cannot run). */
export async function swaks(target: SmtpTarget, message: SmtpMessage, auth?: SmtpAuth): Promise<SmtpOutcome> {
  const timeout = target.timeoutSeconds ?? 20;
  const args = [
    "--server", target.host,
    "--port", String(target.port),
    "--from", message.from,
    "--to", message.to.join(","),
    "--helo", target.helo ?? "client.example",
    "--timeout", `${timeout}s`,
    "--header", `Subject: ${message.subject ?? "spamtrace lab message"}`,
    "--body", message.body ?? "This is a test message from the spamtrace MTA lab.\n",
  ];
  for (const [name, value] of Object.entries(message.headers ?? {})) args.push("--add-header", `${name}: ${value}`);
  for (const [name, value] of Object.entries(message.replaceHeaders ?? {})) args.push("--header", `${name}: ${value}`);
  if (target.localInterface) args.push("--local-interface", target.localInterface);
  if (auth) args.push("--auth", auth.mechanism ?? "LOGIN", "--auth-user", auth.user, "--auth-password", auth.password);
  const r = await run("swaks", args, { allowFailure: true, timeoutMs: (timeout * 6 + 10) * 1000 });
  const transcript = r.stdout + r.stderr;
  // Server lines start with "<-" (or "<**" when swaks treats the reply as an error).
  const replies = transcript.split("\n").filter((l) => /^\s*<(-|~|\*\*)\s+\d{3}[ -]/.test(l) && !/^\s*<-\s+221 /.test(l));
  const lastReply = (replies.at(-1) ?? "").replace(/^\s*<(-|~|\*\*)\s+/, "").trim();
  return { exitCode: r.code, transcript, lastReply };
}

/** Parameters of an authenticated submission. */
export interface AuthenticatedSend extends SmtpTarget, SmtpMessage {
  user: string;
  password: string;
  mechanism?: "PLAIN" | "LOGIN";
}

/** Sends one message after AUTH with a right password; throws unless the server accepted it. */
export async function sendAuthenticated(p: AuthenticatedSend): Promise<SmtpOutcome> {
  const outcome = await swaks(p, p, { user: p.user, password: p.password, mechanism: p.mechanism });
  if (outcome.exitCode !== 0) throw new Error(`authenticated send as ${p.user} failed (swaks exit ${outcome.exitCode}): ${outcome.lastReply}\n${outcome.transcript}`);
  return outcome;
}

/** Tries AUTH with a wrong password; throws unless the server refused the login (swaks exit 28). */
export async function sendWithWrongPassword(p: AuthenticatedSend): Promise<SmtpOutcome> {
  const outcome = await swaks(p, p, { user: p.user, password: p.password, mechanism: p.mechanism });
  if (outcome.exitCode !== 28) throw new Error(`expected AUTH to fail for ${p.user} (swaks exit 28), got exit ${outcome.exitCode}: ${outcome.lastReply}`);
  return outcome;
}

/** Parameters of an unauthenticated relay attempt. */
export interface RelayAttempt extends SmtpTarget {
  from: string;
  to: string;
}

/** An unauthenticated client asks to relay to an outside recipient; returns the reply whether refused (exit 24) or accepted (exit 0, open relay). */
export async function attemptRelay(p: RelayAttempt): Promise<SmtpOutcome> {
  return swaks(p, { from: p.from, to: [p.to], subject: "relay test" });
}

/** Parameters of a plain (unauthenticated) SMTP send that the server must accept. */
export interface PlainSend extends SmtpTarget, SmtpMessage {
  auth?: SmtpAuth;
}

/** Sends to a domain that cannot be reached (the lab routes it to a closed port): accepted, then deferred in the queue. */
export async function sendToUnreachable(p: PlainSend): Promise<SmtpOutcome> {
  const outcome = await swaks(p, p, p.auth);
  if (outcome.exitCode !== 0) throw new Error(`send to unreachable ${p.to.join(",")} was refused (swaks exit ${outcome.exitCode}): ${outcome.lastReply}`);
  return outcome;
}

/** Sends to a user that does not exist in the lab's local domain: accepted, then bounced to the sender. */
export async function sendToBadLocalUser(p: PlainSend): Promise<SmtpOutcome> {
  const outcome = await swaks(p, p, p.auth);
  if (outcome.exitCode !== 0) throw new Error(`send to bad local user ${p.to.join(",")} was refused at SMTP time (swaks exit ${outcome.exitCode}): ${outcome.lastReply}`);
  return outcome;
}

/** A local submission through an MTA's sendmail interface. */
export interface LocalSend {
  /** /usr/sbin/sendmail (Postfix) or the lab's exim binary. */
  sendmailPath: string;
  /** Extra arguments before -t, e.g. Postfix's ["-C", configDir]. */
  sendmailArgs?: readonly string[];
  /** System user the "script" runs as. */
  asUser: string;
  /** Working directory of the submitting process (where the PHP script lives). */
  cwd: string;
  from: string;
  to: readonly string[];
  subject?: string;
  /** Extra headers, e.g. { "X-PHP-Originating-Script": "1001:contact.php" }. */
  headers?: Record<string, string>;
  body?: string;
}

/** Builds an RFC 5322 message for `sendmail -t`. */
export function buildMessage(m: { from: string; to: readonly string[]; subject?: string; headers?: Record<string, string>; body?: string }): string {
  const lines = [`From: ${m.from}`, `To: ${m.to.join(", ")}`, `Subject: ${m.subject ?? "spamtrace lab local message"}`];
  for (const [name, value] of Object.entries(m.headers ?? {})) lines.push(`${name}: ${value}`);
  return `${lines.join("\n")}\n\n${m.body ?? "This is a local submission from the spamtrace MTA lab.\n"}`;
}

/**
 * Runs `sendmail -t` as `asUser` with `cwd` as its working directory (runuser
 * keeps the directory it is started in), feeding it the message on stdin, as a
 * web script would; throws if sendmail fails.
 */
export async function sendLocal(p: LocalSend): Promise<void> {
  const message = buildMessage(p);
  const r = await run("runuser", ["-u", p.asUser, "--", p.sendmailPath, ...(p.sendmailArgs ?? []), "-t", "-i"], {
    cwd: p.cwd,
    input: message,
    allowFailure: true,
    timeoutMs: 30_000,
  });
  if (r.code !== 0) throw new Error(`sendmail as ${p.asUser} in ${p.cwd} exited ${r.code}: ${r.stderr}${r.stdout}`);
}

/** Creates /home/<user>/public_html/<relative> owned by the user (where a "PHP script" runs from) and returns its path. */
export async function prepareScriptDir(user: string, relative: string): Promise<string> {
  const home = (await run("getent", ["passwd", user])).stdout.trim().split(":")[5];
  if (!home) throw new Error(`no home directory for ${user}`);
  const dir = `${home}/public_html/${relative}`.replace(/\/+$/, "");
  await run("install", ["-d", "-o", user, "-g", user, "-m", "755", dir]);
  return dir;
}
