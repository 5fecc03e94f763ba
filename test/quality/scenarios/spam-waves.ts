// Outbound spam: a compromised SASL account filling the Postfix queue, a web
// script in public_html blasting through Exim, and a PHP script on Postfix
// (pickup only knows its uid: the probe names the script from the maildrop
// writer's ancestry and PHP's mail.log).
import { dirname, join } from "node:path";
import { prepareScriptDir, sendLocal } from "../../setup/mta/drive-traffic.js";
import { phpMailer } from "../../setup/scenarios/postfix-scripts.js";
import { MarkCounter, QUALITY_HOST_ID, type Scenario } from "../scenario.js";
import { blast, inParallel } from "../smtp-blast.js";

/** Concurrent requests running a spamming script (each mail() call is one sendmail process). */
const SCRIPT_WORKERS = 4;

const WAVE_BOTS = ["127.82.0.11", "127.82.0.12"];
const WAVE_ACCOUNT = "carol";

export const accountSpamWave: Scenario = {
  name: "pf-account-spam-wave",
  description: "a stolen SASL account sends 560 messages to outside domains through Postfix from two addresses, 25 connections each (a spam kit sends over many parallel connections); they pile up deferred",
  expected: [
    { rule: "compromised-account", culprit: (i) => i.subject.includes(WAVE_ACCOUNT), culpritLabel: `account ${WAVE_ACCOUNT}`, barMark: "51st message" },
    { rule: "queue-surge", culprit: (i) => i.subject === QUALITY_HOST_ID.postfix && i.summary.includes(WAVE_ACCOUNT), culpritLabel: `${QUALITY_HOST_ID.postfix}, top sender ${WAVE_ACCOUNT}`, barMark: "501st message" },
  ],
  actors: [...WAVE_BOTS, WAVE_ACCOUNT],
  accounts: { postfix: [WAVE_ACCOUNT] },
  async run(lab) {
    const firstActivityMs = Date.now();
    const counter = new MarkCounter({ "51st message": 51, "501st message": 501 });
    await Promise.all(
      WAVE_BOTS.map((bot, b) =>
        blast({
          host: lab.postfix.smtpHost,
          port: lab.postfix.submissionPort,
          localAddress: bot,
          auth: { user: WAVE_ACCOUNT, pass: lab.password(WAVE_ACCOUNT) },
          from: `${WAVE_ACCOUNT}@${lab.postfix.domain}`,
          recipients: (i) => [`buyer${b}x${i}@shop${i % 97}.example`],
          count: 280,
          connections: 25,
          onAccepted: () => counter.add(),
        }),
      ),
    );
    return { firstActivityMs, marks: counter.marks };
  },
};

export const eximWebScript: Scenario = {
  name: "ex-web-script",
  description: "a script in public_html/promo sends 45 messages through Exim's sendmail interface from 4 concurrent requests",
  expected: [{ rule: "web-script", culprit: (i) => i.subject.includes("public_html/promo"), culpritLabel: "script dir public_html/promo", barMark: "31st message" }],
  // The web user running the script is the attacker's vehicle too: an incident naming it is about this attack.
  actors: ["public_html/promo", "webuser1"],
  async run(lab) {
    const dir = await prepareScriptDir(lab.exim.webUser, "promo");
    const firstActivityMs = Date.now();
    const counter = new MarkCounter({ "31st message": 31 });
    await inParallel(45, SCRIPT_WORKERS, counter, async (i) => {
      await sendLocal({ sendmailPath: lab.exim.sendmailPath, asUser: lab.exim.webUser, cwd: dir, from: `${lab.exim.webUser}@${lab.exim.domain}`, to: [`winner${i}@lucky${i % 13}.example`], subject: "You won" });
    });
    return { firstActivityMs, marks: counter.marks };
  },
};

/** PHP's mail.log of the Postfix host's web user, which the pf-host probe tails (scripts.phpMailLogs). */
export function postfixPhpMailLog(lab: { logPath: string }): string {
  return join(dirname(lab.logPath), "php-mail.log");
}

export const postfixPhpScript: Scenario = {
  name: "pf-php-script",
  description: "a PHP script (public_html/shop/mailer.php, php-cli as the web user, PHP's mail.log on) calls mail() 45 times through Postfix's sendmail",
  // The probe names it by path from the maildrop writer's ancestry and from PHP's mail.log (scripts helper).
  expected: [{ rule: "web-script", culprit: (i) => i.subject.includes("public_html/shop/mailer.php"), culpritLabel: "script public_html/shop/mailer.php", needs: "scripts" }],
  actors: ["public_html/shop", "mailer.php", "webuser2"],
  async run(lab) {
    const r = await phpMailer(lab.postfix, { relative: "shop", file: "mailer.php", count: 45, mailLog: postfixPhpMailLog(lab.postfix) });
    return { firstActivityMs: r.firstActivityMs };
  },
};
