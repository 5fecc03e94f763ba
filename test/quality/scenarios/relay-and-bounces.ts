// Relaying and bounces: Postfix made an open relay and abused by an outside
// client while the next hop is dead (Postfix then hands the mail to its
// `error` agent), backscatter from mail accepted for unknown local users
// while a spam wave runs on the same host, and its look-alike, an
// application server that mynetworks / relay_from_hosts permits.
import { MarkCounter, QUALITY_HOST_ID, type Scenario } from "../scenario.js";
import { inParallel, sendOne } from "../smtp-blast.js";

const RELAY_ABUSER = "127.83.0.11";
const BACKSCATTER_SOURCE = "127.83.1.11";
const APP_SERVER = "127.83.2.11";
const FORGED_DOMAIN = "forged-victims.example";
/** Parallel connections of the backscatter source (one message each, as a spam bot opens them). */
const BACKSCATTER_CONNECTIONS = 4;

/** Sends one message without AUTH; throws unless the server accepted it. */
async function sendPlain(target: { host: string; port: number; localAddress: string }, from: string, to: string, subject: string): Promise<void> {
  await sendOne({ ...target, from, to: [to], subject });
}

export const openRelayAbuse: Scenario = {
  name: "pf-open-relay",
  description: "Postfix's mynetworks opened to 0.0.0.0/0; an outside client relays 15 messages to outside domains (next hop dead)",
  expected: [
    {
      // The configuration check: fires when the probe sends the relay policy, before any mail; it names the setting and its file.
      rule: "open-relay",
      culprit: (i) => i.subject === QUALITY_HOST_ID.postfix && /\bmynetworks in \S*main\.cf/.test(i.summary),
      culpritLabel: `${QUALITY_HOST_ID.postfix}: setting mynetworks in main.cf`,
      raisedByConfiguration: true,
      needs: "relay",
    },
    {
      // The passive check on the relayed mail names the client; its finding joins the same incident (one per rule and host).
      rule: "open-relay",
      culprit: (i) => i.subject === QUALITY_HOST_ID.postfix && i.summary.includes(RELAY_ABUSER),
      culpritLabel: `${QUALITY_HOST_ID.postfix} relaying for ${RELAY_ABUSER}`,
      barMark: "1st message",
      needs: "relay",
    },
  ],
  actors: [RELAY_ABUSER],
  openRelay: ["postfix"],
  async run(lab) {
    const firstActivityMs = Date.now();
    const target = { host: lab.postfix.smtpHost, port: lab.postfix.smtpPort, localAddress: RELAY_ABUSER };
    const counter = new MarkCounter({ "1st message": 1 });
    for (let i = 0; i < 15; i++) {
      await sendPlain(target, `promo@spam${i}.example`, `target${i}@victims${i % 7}.example`, "Pills");
      counter.add();
    }
    return { firstActivityMs, marks: counter.marks };
  },
};

export const backscatterDuringWave: Scenario = {
  name: "pf-backscatter",
  description: "40 messages over 4 parallel connections with forged outside senders to unknown local users of Postfix: accepted, then bounced to the forged senders, while a spam wave runs",
  expected: [
    {
      rule: "backscatter",
      culprit: (i) => i.subject === QUALITY_HOST_ID.postfix && i.summary.includes(FORGED_DOMAIN),
      culpritLabel: `${QUALITY_HOST_ID.postfix} bouncing to ${FORGED_DOMAIN}`,
      barMark: "21st message",
      needs: "quiet",
    },
  ],
  actors: [BACKSCATTER_SOURCE, FORGED_DOMAIN],
  async run(lab) {
    const firstActivityMs = Date.now();
    const target = { host: lab.postfix.smtpHost, port: lab.postfix.smtpPort, localAddress: BACKSCATTER_SOURCE };
    const counter = new MarkCounter({ "21st message": 21 });
    // A spam wave's bots send over parallel connections.
    await inParallel(40, BACKSCATTER_CONNECTIONS, counter, (i) => sendPlain(target, `victim${i}@${FORGED_DOMAIN}`, `nosuchuser${i}@${lab.postfix.domain}`, "Invoice"));
    return { firstActivityMs, marks: counter.marks };
  },
};

export const permittedAppServer: Scenario = {
  name: "ex-app-server",
  description: "an application server in Exim's relay_from_hosts relays 20 order confirmations to customers without AUTH",
  expected: [],
  needs: "relay",
  actors: [APP_SERVER],
  permittedClients: { exim: [APP_SERVER] },
  async run(lab) {
    const firstActivityMs = Date.now();
    const target = { host: lab.exim.smtpHost, port: lab.exim.smtpPort, localAddress: APP_SERVER };
    for (let i = 0; i < 20; i++) await sendPlain(target, `orders@${lab.exim.domain}`, `customer${i}@buyers${i % 9}.example`, `Order ${1000 + i} confirmed`);
    return { firstActivityMs };
  },
};
