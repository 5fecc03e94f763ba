// Log lines as Postfix 3.7 and Exim 4.96 write them (shapes taken from the
// lab captures in test/fixtures/mta-logs), with chosen times, clients and
// recipients, for detection scenarios.
import { eximTime, syslogTime } from "./fleet-simulator.test-support.js";

const FIRST_POSTFIX_ID = 0x10000;
const FIRST_EXIM_ID = 1000;
let counter = FIRST_POSTFIX_ID;
/** A fresh Postfix-style queue id. */
export function postfixQueueId(): string {
  return (counter++).toString(16).toUpperCase().padStart(11, "A");
}

/** How a Postfix message ends. */
export type PostfixOutcome = "remote-deferred" | "remote-sent" | "local";

/**
 * One message through Postfix: smtpd client= (with SASL when `saslUser`),
 * cleanup message-id, qmgr from=, one delivery line per recipient.
 */
export function postfixMessage(opts: {
  atMs: number;
  clientIp?: string;
  saslUser?: string;
  from: string;
  to: readonly string[];
  outcome: PostfixOutcome;
  queueId?: string;
  host?: string;
  service?: "smtpd" | "submission/smtpd";
}): string[] {
  const qid = opts.queueId ?? postfixQueueId();
  const host = opts.host ?? "mail";
  const t = syslogTime(opts.atMs);
  const smtpd = `postfix/${opts.service ?? (opts.saslUser ? "submission/smtpd" : "smtpd")}[2001]`;
  const lines: string[] = [];
  if (opts.clientIp !== undefined) {
    lines.push(`${t} ${host} ${smtpd}: ${qid}: client=unknown[${opts.clientIp}]${opts.saslUser ? `, sasl_method=PLAIN, sasl_username=${opts.saslUser}` : ""}`);
  } else {
    lines.push(`${t} ${host} postfix/pickup[2002]: ${qid}: uid=33 from=<${opts.from}>`);
  }
  lines.push(`${t} ${host} postfix/cleanup[2003]: ${qid}: message-id=<${qid.toLowerCase()}@sim.test>`);
  lines.push(`${t} ${host} postfix/qmgr[2004]: ${qid}: from=<${opts.from}>, size=1500, nrcpt=${opts.to.length} (queue active)`);
  for (const rcpt of opts.to) {
    if (opts.outcome === "local") {
      lines.push(`${t} ${host} postfix/local[2005]: ${qid}: to=<${rcpt}>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)`);
    } else if (opts.outcome === "remote-sent") {
      lines.push(`${t} ${host} postfix/smtp[2006]: ${qid}: to=<${rcpt}>, relay=mx.${rcpt.split("@")[1]}[192.0.2.25]:25, delay=0.6, delays=0.1/0/0.2/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok)`);
    } else {
      lines.push(`${t} ${host} postfix/smtp[2006]: ${qid}: to=<${rcpt}>, relay=none, delay=0.5, delays=0.1/0/0.4/0, dsn=4.4.1, status=deferred (connect to mx.${rcpt.split("@")[1]}[192.0.2.25]:25: Connection refused)`);
    }
  }
  return lines;
}

/** A Postfix SASL failure as logged by smtpd with Dovecot. */
export function postfixAuthFailure(atMs: number, clientIp: string, username: string, host = "mail"): string {
  return `${syslogTime(atMs)} ${host} postfix/submission/smtpd[2010]: warning: unknown[${clientIp}]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=${username}`;
}

/** A Postfix relay refusal (closed relay). */
export function postfixRelayDenied(atMs: number, clientIp: string, rcpt: string, host = "mail"): string {
  return `${syslogTime(atMs)} ${host} postfix/smtpd[2011]: NOQUEUE: reject: RCPT from unknown[${clientIp}]: 454 4.7.1 <${rcpt}>: Relay access denied; from=<spammer@forged.example> to=<${rcpt}> proto=ESMTP helo=<spam-host>`;
}

/** A bounce Postfix generates (from=<>) and tries to deliver to the forged sender's domain. */
export function postfixBounce(atMs: number, to: string, outcome: PostfixOutcome, host = "mail"): string[] {
  const qid = postfixQueueId();
  const originalQueueId = postfixQueueId();
  const t = syslogTime(atMs);
  const lines = [
    `${t} ${host} postfix/cleanup[2003]: ${qid}: message-id=<${qid.toLowerCase()}.bounce@sim.test>`,
    `${t} ${host} postfix/bounce[2007]: ${originalQueueId}: sender non-delivery notification: ${qid}`,
    `${t} ${host} postfix/qmgr[2004]: ${qid}: from=<>, size=2900, nrcpt=1 (queue active)`,
  ];
  if (outcome === "local") lines.push(`${t} ${host} postfix/local[2005]: ${qid}: to=<${to}>, relay=local, delay=0.1, dsn=2.0.0, status=sent (delivered to mailbox)`);
  else lines.push(`${t} ${host} postfix/smtp[2006]: ${qid}: to=<${to}>, relay=none, delay=0.5, dsn=4.4.1, status=deferred (connect to mx.${to.split("@")[1]}[192.0.2.25]:25: Connection refused)`);
  return lines;
}

let eximCounter = FIRST_EXIM_ID;

/** Starts the ids over, so a fleet written twice (two stores compared) carries the same ids. */
export function resetMessageIds(): void {
  counter = FIRST_POSTFIX_ID;
  eximCounter = FIRST_EXIM_ID;
}
/** A fresh Exim message id. */
export function eximId(): string {
  const n = (eximCounter++).toString(36).padStart(6, "0");
  return `1vP5aB-${n.slice(-6)}-Xy`;
}

/** A local submission through Exim's sendmail from a script's working directory, delivered remotely. */
export function eximScriptSubmission(atMs: number, opts: { cwd: string; user: string; to: string; pid?: number }): string[] {
  const id = eximId();
  const pid = opts.pid ?? 2101 + (eximCounter % 1000);
  const t = eximTime(atMs);
  return [
    `${t} [${pid}] cwd=${opts.cwd} 3 args: /usr/sbin/sendmail -t -i`,
    `${t} [${pid}] ${id} <= ${opts.user}@web.sim.test U=${opts.user} P=local S=1234 id=${id}@web.sim.test`,
    `${t} ${id} => ${opts.to} R=dnslookup T=remote_smtp H=mx.${opts.to.split("@")[1]} [192.0.2.80] C="250 OK"`,
    `${t} ${id} Completed`,
  ];
}
