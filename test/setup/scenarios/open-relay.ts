// Open relay by destination and permission (issue 12 item 1), as traffic
// through a real Postfix lab: the attack (an outside client relaying through
// a Postfix whose relay restrictions end in permit, while the next hop is
// dead, so Postfix soon hands the mail to its `error` agent: "delivery
// temporarily suspended") and its look-alike (an application server that
// mynetworks permits relaying order mail without AUTH). Self-contained so the
// detection-quality test (test/quality/) can adapt it.
import { readFile, writeFile } from "node:fs/promises";
import { swaks } from "../mta/drive-traffic.js";
import type { PostfixLab } from "../mta/postfix-lab.js";
import { waitFor } from "../wait-for.js";

/** Client addresses of the scenario (loopback; swaks --local-interface). */
export const RELAY_ABUSER = "127.83.0.21";
export const APP_SERVER = "127.83.2.21";

/**
 * main.cf of an open relay by restriction: a check_client_access cidr table
 * that lets 0.0.0.0/0 through with OK before reject_unauth_destination (the
 * "allow our partners" table gone wrong). A plain `permit` is not possible:
 * Postfix's smtpd refuses to start unless one list has a working
 * reject_unauth_destination (or reject/defer) that no unconditional permit
 * precedes. Write the table with {@link writeOpenClientTable} first.
 */
export function openRelayRestrictions(configDir: string): Record<string, string> {
  return { smtpd_relay_restrictions: `permit_mynetworks, permit_sasl_authenticated, check_client_access cidr:${configDir}/relay_clients.cidr, reject_unauth_destination` };
}

/** Writes the lab's relay_clients.cidr: every IPv4 client OK. */
export async function writeOpenClientTable(configDir: string): Promise<void> {
  await writeFile(`${configDir}/relay_clients.cidr`, "# partners allowed to relay (misconfigured: the whole Internet)\n0.0.0.0/0 OK\n");
}

/** main.cf of the closed relay the lab starts with. */
export const CLOSED_RELAY_RESTRICTIONS = { smtpd_relay_restrictions: "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination" } as const;

/** Sends one message without AUTH from `client`; throws unless Postfix accepted it. */
async function sendPlain(lab: PostfixLab, client: string, from: string, to: string, subject: string): Promise<void> {
  const r = await swaks({ host: lab.smtpHost, port: lab.smtpPort, localInterface: client, timeoutSeconds: 30 }, { from, to: [to], subject });
  if (r.exitCode !== 0) throw new Error(`${client} → ${to}: refused (swaks exit ${r.exitCode}): ${r.lastReply}`);
}

/** Log lines from byte `offset` on. */
async function logFrom(lab: PostfixLab, offset: number): Promise<string[]> {
  return (await readFile(lab.logPath)).subarray(offset).toString("utf8").split("\n").filter(Boolean);
}

/** Waits until `count` delivery attempts to outside recipients of `client`'s messages were logged (smtp or error agent), and returns the new log lines. */
async function settle(lab: PostfixLab, offset: number, count: number, what: string): Promise<string[]> {
  const attempt = /postfix\/(smtp|error|retry)\[\d+\]: \w+: to=<[^>]*@[^>]*\.example>.*status=(deferred|sent|bounced)/;
  return waitFor(what, async () => {
    const lines = await logFrom(lab, offset);
    return lines.filter((l) => attempt.test(l)).length >= count ? lines : undefined;
  }, 60_000, 200);
}

/** The attack: `messages` messages from RELAY_ABUSER to outside domains, accepted because the relay is open. Returns the log lines it produced. */
export async function relayAbuse(lab: PostfixLab, offset: number, messages = 12): Promise<string[]> {
  // Six connections at once, as a spam kit pushes: once the first delivery to the dead next hop fails,
  // Postfix marks it dead and hands the messages already queued to its error agent.
  for (let i = 0; i < messages; i += 6) {
    const wave = Array.from({ length: Math.min(6, messages - i) }, (_, k) => i + k);
    await Promise.all(wave.map((n) => sendPlain(lab, RELAY_ABUSER, `promo@spam${n}.example`, `target${n}@victims${n % 5}.example`, "Pills")));
  }
  return settle(lab, offset, messages, "the relayed mail's delivery attempts");
}

/** The look-alike: `messages` order confirmations from APP_SERVER (in mynetworks) to customers' outside domains. */
export async function permittedAppServer(lab: PostfixLab, offset: number, messages = 8): Promise<string[]> {
  for (let i = 0; i < messages; i++) await sendPlain(lab, APP_SERVER, `orders@${lab.domain}`, `customer${i}@buyers${i % 4}.example`, `Order ${1000 + i} confirmed`);
  return settle(lab, offset, messages, "the app server's delivery attempts");
}
