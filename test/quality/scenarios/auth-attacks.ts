// Login attacks: a credential spray through Postfix + Dovecot (Dovecot delays
// every failed attempt), a fast dictionary attack on one Exim account, and a
// burst of failures that ends in a successful login (a guessed password).
import { MarkCounter, QUALITY_HOST_ID, type Scenario } from "../scenario.js";
import { sendOne } from "../smtp-blast.js";
import { guessPasswordsThreaded, type Guess, type GuessTarget } from "../smtp-auth-guesser.js";

const SPRAY_BOT = "127.81.0.11";
const DICTIONARY_BOT = "127.81.1.11";
const BURST_BOT = "127.81.2.11";

/** Runs the guesses over a bot's parallel connections; throws unless the server refused every one. */
async function failLogins(target: GuessTarget, guesses: readonly Guess[], threads: number, counter?: MarkCounter): Promise<void> {
  const { refused } = await guessPasswordsThreaded(target, guesses, threads, () => counter?.add());
  if (refused !== guesses.length) throw new Error(`${guesses.length} wrong passwords from ${target.localAddress}, but only ${refused} refused`);
}

const SPRAY_NAMES = ["admin", "info", "sales", "office", "contact", "support", "test", "webmaster"];

export const credentialSpray: Scenario = {
  name: "pf-credential-spray",
  description: "a bot tries 8 common user names, one wrong password each, over 4 Postfix submission connections at once (Dovecot delays each refusal of a penalised IP)",
  expected: [{ rule: "auth-bruteforce", culprit: (i) => i.subject === SPRAY_BOT && i.hosts.includes(QUALITY_HOST_ID.postfix), culpritLabel: `client ${SPRAY_BOT}`, barMark: "3rd name refused" }],
  actors: [SPRAY_BOT],
  async run(lab) {
    const firstActivityMs = Date.now();
    const counter = new MarkCounter({ "3rd name refused": 3 });
    await failLogins({ host: lab.postfix.smtpHost, port: lab.postfix.submissionPort, localAddress: SPRAY_BOT }, SPRAY_NAMES.map((user) => ({ user, password: "123456" })), 4, counter);
    return { firstActivityMs, marks: counter.marks };
  },
};

export const dictionaryAttack: Scenario = {
  name: "ex-dictionary",
  description: "a bot tries 25 passwords for one Exim account over 3 connections at once, as fast as the server answers",
  expected: [{ rule: "auth-bruteforce", culprit: (i) => i.subject === DICTIONARY_BOT && i.hosts.includes(QUALITY_HOST_ID.exim), culpritLabel: `client ${DICTIONARY_BOT}`, barMark: "20th refusal" }],
  actors: [DICTIONARY_BOT],
  accounts: { exim: ["ivan"] },
  async run(lab) {
    const firstActivityMs = Date.now();
    const counter = new MarkCounter({ "20th refusal": 20 });
    await failLogins({ host: lab.exim.smtpHost, port: lab.exim.smtpPort, localAddress: DICTIONARY_BOT }, Array.from({ length: 25 }, (_, i) => ({ user: "ivan", password: `password${i}` })), 3, counter);
    return { firstActivityMs, marks: counter.marks };
  },
};

export const burstThenSuccess: Scenario = {
  name: "ex-guessed-password",
  description: "a bot fails 12 logins over several Exim accounts, then logs in as one of them and sends",
  expected: [{ rule: "compromised-account", culprit: (i) => i.subject.includes("judy"), culpritLabel: "account judy", barMark: "login" }],
  actors: [BURST_BOT, "judy"],
  accounts: { exim: ["judy", "kim", "leo"] },
  async run(lab) {
    const firstActivityMs = Date.now();
    await failLogins({ host: lab.exim.smtpHost, port: lab.exim.smtpPort, localAddress: BURST_BOT }, Array.from({ length: 12 }, (_, i) => ({ user: ["judy", "kim", "leo"][i % 3]!, password: `guess${i}` })), 3);
    const login = Date.now();
    for (let i = 0; i < 3; i++) {
      await sendOne({ host: lab.exim.smtpHost, port: lab.exim.smtpPort, localAddress: BURST_BOT, auth: { user: "judy", pass: lab.password("judy") }, from: `judy@${lab.exim.domain}`, to: [`lead${i}@prospects${i}.example`], subject: "Proposal" });
    }
    return { firstActivityMs, marks: { login } };
  },
};
