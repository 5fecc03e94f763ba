// A small fleet for the analyst queries (docs/analyst-queries.md) and the
// Grafana dashboard, written the way the collector writes probe data: Hello
// and Batch messages through the real BatchWriter, mail and auth windows
// built by the shared log parsers and window aggregator from MTA log lines.
// Each question has rows that must appear and look-alikes that must not.
import { EXIM_BINARIES, FleetSimulator } from "../../collector/detect/fleet-simulator.test-support.js";
import { eximScriptSubmission, postfixAuthFailure, postfixMessage, resetMessageIds } from "../../collector/detect/mta-log-lines.test-support.js";
import type { ClickHouseStore } from "../../collector/store/clickhouse/store.js";

export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** The client address of the "which hosts did it log into" question, and the account of "a user's week". */
export const STOLEN_FROM_IP = "203.0.113.7";
export const WEEK_USER = "alice@example.com";
/** Queue id of alice's first message on web1 (its Message-ID is `4f00c0ffee@sim.test`): the one a complaint names. */
export const COMPLAINT_QUEUE_ID = "4F00C0FFEE";

/** Messages alice sent on each of the six days before today (index 1..6), for the week question. */
export const ALICE_HISTORY: Record<number, number> = { 1: 4, 2: 7, 3: 2, 4: 9, 5: 3, 6: 5 };

/** A Dovecot IMAP login line as Dovecot 2.3 writes it (ISO time). */
function dovecotLogin(atMs: number, user: string, ip: string): string {
  return `${new Date(atMs).toISOString().replace("Z", "+00:00")} mail1 dovecot: imap-login: Login: user=<${user}>, method=PLAIN, rip=${ip}, lip=198.51.100.12, mpid=4711, TLS, session=<k1Yb2>`;
}

/**
 * Writes the fleet as of `now` (all "last hour" activity lies in the last 55
 * minutes; "today" activity no earlier than the start of the UTC day).
 */
export async function writeAnalystFleet(store: ClickHouseStore, now: number): Promise<void> {
  resetMessageIds(); // the same fleet, id for id, on every store it is written to
  const sim = new FleetSimulator(store, "analyst-fleet");
  await sim.host({ hostId: "web1", ipAddresses: ["198.51.100.10"] });
  await sim.host({ hostId: "web2", ipAddresses: ["198.51.100.11"], mtaKind: "exim", mtaBinaryPaths: EXIM_BINARIES });
  await sim.host({ hostId: "mail1", ipAddresses: ["198.51.100.12"] });
  const todayStart = Math.floor(now / DAY) * DAY;
  const today = (ms: number): number => Math.max(ms, todayStart);

  // Authenticated senders. web1: alice 12 (from the stolen-from address), bob 3, four accounts with 1 each
  // (the fifth-ranked tie is cut by LIMIT 5 BY host), alice again 2 hours ago (outside the last hour).
  const web1: string[] = [];
  for (let i = 0; i < 12; i++) web1.push(...postfixMessage({ atMs: now - 20 * MINUTE + i * 5_000, clientIp: STOLEN_FROM_IP, saslUser: WEEK_USER, from: "ceo@bank.example", to: [`u${i}@victim${i % 4}.example`], outcome: "remote-deferred", ...(i === 0 ? { queueId: COMPLAINT_QUEUE_ID } : {}) }));
  for (let i = 0; i < 3; i++) web1.push(...postfixMessage({ atMs: now - 30 * MINUTE + i * 5_000, clientIp: "198.51.100.77", saslUser: "bob@example.com", from: "bob@example.com", to: ["c@customer.example"], outcome: "remote-sent" }));
  for (const user of ["dave@example.com", "erin@example.com", "frank@example.com", "grace@example.com"]) {
    web1.push(...postfixMessage({ atMs: now - 40 * MINUTE, clientIp: "198.51.100.78", saslUser: user, from: user, to: ["c@customer.example"], outcome: "remote-sent" }));
  }
  for (let i = 0; i < 5; i++) web1.push(...postfixMessage({ atMs: now - 2 * 60 * MINUTE + i * 5_000, clientIp: "198.51.100.79", saslUser: WEEK_USER, from: WEEK_USER, to: ["c@customer.example"], outcome: "remote-sent" }));
  await sim.logLines("web1", web1, now);

  // mail1: carol 4; alice 2 from the stolen-from address, which also logs in over IMAP there;
  // 198.18.0.9 guesses 12 passwords, then gets in as carol and sends 1; 198.18.0.10 fails 20 times and never gets in.
  const mail1: string[] = [];
  for (let i = 0; i < 4; i++) mail1.push(...postfixMessage({ atMs: now - 15 * MINUTE + i * 5_000, clientIp: "198.51.100.90", saslUser: "carol@example.org", from: "carol@example.org", to: ["f@friend.example"], outcome: "remote-sent", host: "mail1" }));
  for (let i = 0; i < 2; i++) mail1.push(...postfixMessage({ atMs: now - 10 * MINUTE + i * 5_000, clientIp: STOLEN_FROM_IP, saslUser: WEEK_USER, from: WEEK_USER, to: ["z@elsewhere.example"], outcome: "remote-deferred", host: "mail1" }));
  mail1.push(dovecotLogin(now - 9 * MINUTE, WEEK_USER, STOLEN_FROM_IP));
  for (let i = 0; i < 12; i++) mail1.push(postfixAuthFailure(now - 50 * MINUTE + i * 10_000, "198.18.0.9", ["admin", "info@example.org", "carol@example.org"][i % 3]!, "mail1"));
  mail1.push(...postfixMessage({ atMs: now - 45 * MINUTE, clientIp: "198.18.0.9", saslUser: "carol@example.org", from: "carol@example.org", to: ["x@far.example"], outcome: "remote-deferred", host: "mail1" }));
  for (let i = 0; i < 20; i++) mail1.push(postfixAuthFailure(now - 35 * MINUTE + i * 10_000, "198.18.0.10", `user${i}`, "mail1"));
  await sim.logLines("mail1", mail1, now);

  // web2 (Exim): the stolen-from address only fails there (no login: not an answer);
  // a WordPress upload folder sends through Exim's sendmail today.
  const web2: string[] = [];
  for (let i = 0; i < 3; i++) web2.push(postfixAuthFailure(now - 25 * MINUTE + i * 10_000, STOLEN_FROM_IP, WEEK_USER, "web2"));
  await sim.logLines("web2", web2, now);
  const scripts: string[] = [];
  for (let i = 0; i < 3; i++) scripts.push(...eximScriptSubmission(today(now - 5 * MINUTE) + i * 1000, { cwd: "/var/www/shop/wp-content/uploads", user: "shop", to: `v${i}@victim.example` }));
  await sim.logLines("web2", scripts, now);

  // alice's week on web1: one window per earlier day, and one 8 days ago (outside the week).
  await sim.mailWindows(
    "web1",
    [...Object.entries(ALICE_HISTORY), ["8", 50] as const].map(([day, messages]) => ({
      atMs: now - Number(day) * DAY,
      identityKind: "sasl_user",
      identity: WEEK_USER,
      received: Number(messages),
      delivered: Number(messages),
      distinctRecipientDomains: 1,
      distinctClientIps: 1,
    })),
  );

  // Sockets on web1 two minutes ago and one minute ago: a PHP-FPM worker of the shop talks to a remote MX
  // (both times), a deleted binary calling itself sendmail submits to port 587, Postfix's own smtp client
  // delivers (the MTA: not an answer), a client submits to us (inbound: not an answer).
  for (const ago of [2, 1]) {
    await sim.sockets("web1", now - ago * MINUTE, [
      { direction: "outbound", remoteAddress: ago === 2 ? "192.0.2.50" : "192.0.2.51", remotePort: 25, pid: 31337, user: "www-data", uid: 33, comm: "php-fpm8.2", exe: "/usr/sbin/php-fpm8.2", cwd: "/var/www/shop/wp-content/uploads", argv: ["php-fpm: pool shop"] },
      { direction: "outbound", remoteAddress: "192.0.2.60", remotePort: 587, pid: 4040, user: "shop", uid: 1001, comm: "sendmail", exe: "/tmp/.x/sendmail", exeDeleted: true, cwd: "/tmp/.x", argv: ["sendmail", "-bd"] },
      { direction: "outbound", remoteAddress: "192.0.2.25", remotePort: 25, pid: 2006, user: "postfix", uid: 107, comm: "smtp", exe: "/usr/lib/postfix/sbin/smtp", cwd: "/var/spool/postfix", argv: ["smtp", "-t", "unix", "-u", "-c"] },
      { direction: "inbound", localPort: 587, remoteAddress: STOLEN_FROM_IP, remotePort: 51000, pid: 2001, user: "postfix", uid: 107, comm: "smtpd", exe: "/usr/lib/postfix/sbin/smtpd", cwd: "/var/spool/postfix" },
    ]);
  }
  // web2: Exim delivering (the MTA), and a perl process that sent two hours ago (outside the last hour).
  await sim.sockets("web2", now - 3 * MINUTE, [{ direction: "outbound", remoteAddress: "192.0.2.80", remotePort: 25, pid: 5000, user: "Debian-exim", uid: 104, comm: "exim4", exe: "/usr/sbin/exim4", cwd: "/var/spool/exim4" }]);
  await sim.sockets("web2", now - 2 * 60 * MINUTE, [{ direction: "outbound", remoteAddress: "192.0.2.81", remotePort: 25, pid: 999, user: "shop", uid: 1001, comm: "perl", exe: "/usr/bin/perl", cwd: "/var/www/shop" }]);

  // Queues: web1 grows 390 in 45 min, mail1 30 in 30 min, web2 shrinks; web2's snapshot 2 hours ago is outside the hour.
  await sim.queue("web2", now - 2 * 60 * MINUTE, { total: 0, mta: "exim" });
  await sim.queue("web1", now - 50 * MINUTE, { total: 10, byQueue: { active: 10 } });
  await sim.queue("web2", now - 45 * MINUTE, { total: 100, mta: "exim", byQueue: { queued: 100 } });
  await sim.queue("mail1", now - 40 * MINUTE, { total: 5, byQueue: { active: 5 } });
  await sim.queue("web1", now - 30 * MINUTE, { total: 150, byQueue: { active: 20, deferred: 130 } });
  await sim.queue("web2", now - 15 * MINUTE, { total: 90, mta: "exim", byQueue: { queued: 90 } });
  await sim.queue("mail1", now - 10 * MINUTE, { total: 35, byQueue: { active: 5, deferred: 30 } });
  await sim.queue("web1", now - 5 * MINUTE, { total: 400, byQueue: { active: 20, deferred: 380 }, nullSender: 12, oldestAgeSeconds: 2700, topSenders: { "ceo@bank.example": 370, "bob@example.com": 3 }, topRecipientDomains: { "victim0.example": 100 } });
}
