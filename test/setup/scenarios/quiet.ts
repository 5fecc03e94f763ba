// Traffic classes of issue 12 items 2–4 (helper "quiet"), each an attack and
// its look-alike of normal traffic, sent through a real MTA lab (Postfix +
// Dovecot or Exim, test/setup/mta/). Self-contained so the detection-quality
// test can wrap them as scenarios: every function takes the MTA, the client
// address(es) to send from, and returns the time of its first activity.
import type { EximLab } from "../mta/exim-lab.js";
import type { PostfixLab } from "../mta/postfix-lab.js";
import { sendAuthenticated, sendToBadLocalUser, sendWithWrongPassword, swaks } from "../mta/drive-traffic.js";

/** The parts of a lab the scenarios need: where to connect (plain SMTP and AUTH) and the local domain. */
export interface QuietTarget {
  host: string;
  /** Plain SMTP (inbound mail). */
  smtpPort: number;
  /** Where AUTH is offered (Postfix: submission; Exim: the same port). */
  authPort: number;
  domain: string;
  /** A local user that exists (receives mail). */
  webUser: string;
}

/** The scenario view of a Postfix lab. */
export function postfixTarget(lab: PostfixLab): QuietTarget {
  return { host: lab.smtpHost, smtpPort: lab.smtpPort, authPort: lab.submissionPort, domain: lab.domain, webUser: lab.webUser };
}

/** The scenario view of an Exim lab. */
export function eximTarget(lab: EximLab): QuietTarget {
  return { host: lab.smtpHost, smtpPort: lab.smtpPort, authPort: lab.smtpPort, domain: lab.domain, webUser: lab.webUser };
}

/** SASL accounts the scenarios log in as (add them to the labs' users). */
export const QUIET_USERS = [
  { name: "carol", password: "carol-pass" },
  { name: "dave", password: "dave-pass" },
  { name: "erin", password: "erin-pass" },
  { name: "news", password: "news-pass" },
  { name: "eve", password: "eve-pass" },
] as const;

const passwordOf = (user: string): string => `${user}-pass`;

/**
 * Item 2, attack: backscatter at realistic volume while a spam wave runs.
 * `wave` inbound messages from one outside sender to a real local user (the
 * wave, delivered locally), and `forged` messages from forged outside senders
 * to unknown local users: accepted, then bounced — the NDRs go to the forged
 * outside addresses (deferred in the lab: outside mail goes to a dead end).
 * With the defaults (wave 50, forged 25) the NDRs are 25 of 100 received
 * messages: under the 30 % share the old rule needed.
 */
export async function backscatterDuringWave(t: QuietTarget, clients: { wave: string; forged: string }, n = { wave: 50, forged: 25 }): Promise<number> {
  const first = Date.now();
  for (let i = 0; i < Math.max(n.wave, n.forged); i++) {
    if (i < n.wave) await swaks({ host: t.host, port: t.smtpPort, localInterface: clients.wave }, { from: "offers@wave.example", to: [`${t.webUser}@${t.domain}`], subject: `Offer ${i}` });
    if (i < n.forged) await sendToBadLocalUser({ host: t.host, port: t.smtpPort, localInterface: clients.forged, from: `forged${i}@victim${i % 5}.example`, to: [`nosuchuser${i}@${t.domain}`] });
  }
  return first;
}

/**
 * Item 2, look-alike: the host's own user mails unknown local addresses
 * (typos, a stale list): accepted, then bounced — but the NDRs go back to the
 * local sender and are delivered locally.
 */
export async function ownUserBouncesLocally(t: QuietTarget, client: string, user: string, count = 25): Promise<number> {
  const first = Date.now();
  for (let i = 0; i < count; i++) {
    await sendAuthenticated({ host: t.host, port: t.authPort, localInterface: client, user, password: passwordOf(user), from: `${t.webUser}@${t.domain}`, to: [`typo${i}@${t.domain}`] });
  }
  return first;
}

/**
 * Item 3, look-alike: several ordinary users behind one address (an office,
 * CGNAT, a VPN) log in on two hosts within the hour and send a couple of
 * messages each to a few friends.
 */
export async function sharedNatUsers(hosts: readonly { target: QuietTarget; users: readonly string[] }[], client: string): Promise<number> {
  const first = Date.now();
  for (const { target: t, users } of hosts) {
    for (const user of users) {
      for (let i = 0; i < 2; i++) {
        await sendAuthenticated({ host: t.host, port: t.authPort, localInterface: client, user, password: passwordOf(user), from: `${user}@${t.domain}`, to: [`friend${i}@friends${i}.example`] });
      }
    }
  }
  return first;
}

/**
 * Item 3, attack: credential stuffing that succeeds. From one address,
 * wrong passwords for several accounts on each host (through Dovecot SASL on
 * Postfix, Exim's own authenticators), then a right one for one account per
 * host, then the taken account sends one message to `domains` outside domains.
 * Fewer failures per host than the take-over rule's burst (10), so only the
 * fleet view sees it.
 */
export async function stuffingSuccess(hosts: readonly { target: QuietTarget; guessed: readonly string[]; taken: string }[], client: string, domains = 22): Promise<number> {
  const first = Date.now();
  for (const { target: t, guessed } of hosts) {
    for (const user of guessed) {
      await sendWithWrongPassword({ host: t.host, port: t.authPort, localInterface: client, user, password: "Summer2026!", from: `${user}@${t.domain}`, to: ["x@example.net"] });
    }
  }
  for (const { target: t, taken } of hosts) {
    await sendPastPenalty({ host: t.host, port: t.authPort, localInterface: client, user: taken, password: passwordOf(taken), from: `${taken}@${t.domain}`, to: ["probe@check.example"] });
  }
  const [{ target: t, taken }] = hosts as [(typeof hosts)[number]];
  const to = Array.from({ length: domains }, (_, i) => `buyer${i}@shop${i}.example`);
  await sendPastPenalty({ host: t.host, port: t.authPort, localInterface: client, user: taken, password: passwordOf(taken), from: `${taken}@${t.domain}`, to, subject: "Invoice" });
  return first;
}

/** Tries after a 454 this many times at most. */
const PENALTY_TRIES = 4;
/** Waits this long between them: Dovecot's delay for an address shrinks by the time since its last failure. */
const PENALTY_WAIT_MS = 6_000;

/**
 * An authenticated send from an address that has just failed logins, as a
 * stuffing tool makes it: Dovecot delays that address's answers (2, 4, 8,
 * 15 s) and Postfix gives up on Dovecot after ~10 s with "454 4.7.0
 * Temporary authentication failure" even for the right password
 * (docs/facts.md), so the tool waits and tries again.
 */
async function sendPastPenalty(p: Parameters<typeof sendAuthenticated>[0]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sendAuthenticated(p);
      return;
    } catch (error) {
      if (attempt >= PENALTY_TRIES || !/\b454 4\.7\.0\b/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, PENALTY_WAIT_MS));
    }
  }
}

/**
 * Item 4, look-alike: a small legitimate newsletter — `messages` messages of
 * `perMessage` recipients each, spread over `domains` domains, all deferred
 * because the relay host is unreachable (the labs send outside mail to a
 * closed port).
 */
export async function smallNewsletter(t: QuietTarget, client: string, user = "news", n = { messages: 5, perMessage: 8, domains: 24 }): Promise<number> {
  const first = Date.now();
  for (let m = 0; m < n.messages; m++) {
    const to = Array.from({ length: n.perMessage }, (_, i) => {
      const k = m * n.perMessage + i;
      return `reader${k}@club${k % n.domains}.example`;
    });
    await sendAuthenticated({ host: t.host, port: t.authPort, localInterface: client, user, password: passwordOf(user), from: `${user}@${t.domain}`, to, subject: `Club news ${m}` });
  }
  return first;
}

/**
 * Item 4, attack: a compromised account spamming from one address — many
 * messages, one outside domain each, all deferred. The deferral share means
 * something here: it comes with volume.
 */
export async function accountSpamDeferred(t: QuietTarget, client: string, user = "eve", messages = 25): Promise<number> {
  const first = Date.now();
  for (let i = 0; i < messages; i++) {
    await sendAuthenticated({ host: t.host, port: t.authPort, localInterface: client, user, password: passwordOf(user), from: `${user}@${t.domain}`, to: [`lead${i}@target${i}.example`], subject: "Your parcel" });
  }
  return first;
}
