// Normal traffic around the attacks, each a look-alike of one: users behind
// one NAT address (credential stuffing), a small newsletter deferred by a
// dead relay host (compromised account), a contact form (web script),
// inbound mail with one mistyped local address whose bounce leaves the host
// (backscatter / the MTA's own remote deliveries), and users sending from
// their own addresses with an occasional mistyped password.
import { prepareScriptDir, sendLocal, swaks } from "../../setup/mta/drive-traffic.js";
import type { Scenario } from "../scenario.js";
import { sendOne } from "../smtp-blast.js";

const NAT_ADDRESS = "127.84.0.11";
const NEWSLETTER_CLIENT = "127.84.1.11";
const INBOUND_SENDERS = ["127.84.2.11", "127.84.2.12", "127.84.2.13"];
const OFFICE_CLIENTS = ["127.84.3.11", "127.84.3.12"];

export const sharedNat: Scenario = {
  name: "shared-nat-users",
  description: "three users of two hosts behind one carrier-grade NAT address log in and send a couple of messages each",
  expected: [],
  needs: "quiet",
  actors: [NAT_ADDRESS, "erin", "frank", "grace"],
  accounts: { postfix: ["erin", "frank"], exim: ["grace"] },
  async run(lab) {
    const firstActivityMs = Date.now();
    const pf = { host: lab.postfix.smtpHost, port: lab.postfix.submissionPort, localAddress: NAT_ADDRESS };
    const ex = { host: lab.exim.smtpHost, port: lab.exim.smtpPort, localAddress: NAT_ADDRESS };
    for (let round = 0; round < 2; round++) {
      for (const user of ["erin", "frank"]) {
        await sendOne({ ...pf, auth: { user, pass: lab.password(user) }, from: `${user}@${lab.postfix.domain}`, to: [`friend${round}@family-${user}.example`], subject: "Sunday" });
      }
      await sendOne({ ...ex, auth: { user: "grace", pass: lab.password("grace") }, from: `grace@${lab.exim.domain}`, to: [`colleague${round}@partner.example`], subject: "Minutes" });
    }
    return { firstActivityMs };
  },
};

export const smallNewsletter: Scenario = {
  name: "small-newsletter",
  description: "a club's account sends its monthly newsletter: 6 messages to 36 recipients in 24 domains, all deferred (relay host unreachable)",
  expected: [],
  needs: "quiet",
  actors: [NEWSLETTER_CLIENT, "dave"],
  accounts: { postfix: ["dave"] },
  async run(lab) {
    const firstActivityMs = Date.now();
    const target = { host: lab.postfix.smtpHost, port: lab.postfix.submissionPort, localAddress: NEWSLETTER_CLIENT };
    for (let m = 0; m < 6; m++) {
      const to = Array.from({ length: 6 }, (_, r) => `member${m * 6 + r}@club${(m * 6 + r) % 24}.example`);
      await sendOne({ ...target, auth: { user: "dave", pass: lab.password("dave") }, from: `dave@${lab.postfix.domain}`, to, subject: "Club news, December" });
    }
    return { firstActivityMs };
  },
};

export const contactForm: Scenario = {
  name: "ex-contact-form",
  description: "a contact form (public_html/contact) mails the site owner 5 times",
  expected: [],
  actors: ["public_html/contact"],
  async run(lab) {
    const dir = await prepareScriptDir(lab.exim.webUser, "contact");
    const firstActivityMs = Date.now();
    for (let i = 0; i < 5; i++) {
      await sendLocal({ sendmailPath: lab.exim.sendmailPath, asUser: lab.exim.webUser, cwd: dir, from: `${lab.exim.webUser}@${lab.exim.domain}`, to: [`owner@site-owner.example`], subject: `Contact request ${i}` });
    }
    return { firstActivityMs };
  },
};

export const inboundMail: Scenario = {
  name: "inbound-mail",
  description: "outside senders deliver 24 messages to local users of both MTAs; one address is mistyped and its bounce goes back out",
  expected: [],
  actors: [...INBOUND_SENDERS, "correspondent.example"],
  async run(lab) {
    const firstActivityMs = Date.now();
    for (let i = 0; i < 12; i++) {
      const [mta, port] = i % 2 === 0 ? [lab.postfix, lab.postfix.smtpPort] : [lab.exim, lab.exim.smtpPort];
      const localAddress = INBOUND_SENDERS[i % INBOUND_SENDERS.length]!;
      for (const to of [`${mta.users[0]!.name}@${mta.domain}`, i === 5 ? `alcie@${mta.domain}` : `${mta.users[1]!.name}@${mta.domain}`]) {
        await sendOne({ host: mta.smtpHost, port, localAddress, from: `writer${i}@correspondent.example`, to: [to], subject: `Hello ${i}` });
      }
    }
    return { firstActivityMs };
  },
};

export const ordinaryUsers: Scenario = {
  name: "ordinary-users",
  description: "two users send a few messages each from their own addresses, one after mistyping the password twice",
  expected: [],
  actors: [...OFFICE_CLIENTS, "heidi", "oscar"],
  accounts: { postfix: ["heidi"], exim: ["oscar"] },
  async run(lab) {
    const firstActivityMs = Date.now();
    const pf = { host: lab.postfix.smtpHost, port: lab.postfix.submissionPort, localInterface: OFFICE_CLIENTS[0]! };
    const ex = { host: lab.exim.smtpHost, port: lab.exim.smtpPort, localInterface: OFFICE_CLIENTS[1]! };
    for (const wrong of ["heidi-pas", "Heidi-pass"]) {
      const r = await swaks(pf, { from: `heidi@${lab.postfix.domain}`, to: ["mum@family.example"] }, { user: "heidi", password: wrong });
      if (r.exitCode !== 28) throw new Error(`heidi's mistyped password was not refused: ${r.lastReply}`);
    }
    for (let i = 0; i < 4; i++) {
      const [pfAddress, exAddress] = [pf.localInterface, ex.localInterface];
      await sendOne({ host: pf.host, port: pf.port, localAddress: pfAddress, auth: { user: "heidi", pass: lab.password("heidi") }, from: `heidi@${lab.postfix.domain}`, to: [`contact${i}@clients.example`], subject: `Quote ${i}` });
      await sendOne({ host: ex.host, port: ex.port, localAddress: exAddress, auth: { user: "oscar", pass: lab.password("oscar") }, from: `oscar@${lab.exim.domain}`, to: [`supplier${i}@suppliers.example`], subject: `Order ${i}` });
    }
    return { firstActivityMs };
  },
};
