// The MTA lab against real daemons: a Postfix instance of its own with Dovecot
// SASL, and an unpacked Exim with its own config, each on its own loopback
// address. Every kind of traffic the probe must recognise is driven once for
// real (swaks over SMTP, sendmail as a web user from a web root), then the
// test reads the MTAs' own log files and queues. Nothing leaves the machine:
// remote mail goes to a closed loopback port and stays deferred.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  attemptRelay,
  buildMessage,
  prepareScriptDir,
  sendAuthenticated,
  sendLocal,
  sendToBadLocalUser,
  sendToUnreachable,
  sendWithWrongPassword,
} from "./setup/mta/drive-traffic.js";
import { startEximLab, type EximLab } from "./setup/mta/exim-lab.js";
import { lookupUser, pidAlive, waitForLine } from "./setup/mta/lab-common.js";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";
import { waitFor } from "./setup/wait-for.js";

/** Waits until none of `pids` is alive any more (zombies awaiting their reaper count as gone). */
async function expectAllGone(pids: number[]): Promise<void> {
  await waitFor("lab processes to exit", async () => (pids.some(pidAlive) ? undefined : true), 15_000, 100);
}

describe("Postfix lab (own instance + Dovecot SASL)", () => {
  let lab: PostfixLab;
  let webUid: number;
  let scriptDir: string;
  let relayReply = "";
  let openRelayExit = -1;
  let closedAgainReply = "";

  beforeAll(async () => {
    const started = Date.now();
    lab = await startPostfixLab();
    console.log(`postfix lab started in ${Date.now() - started} ms (submission ${lab.smtpHost}:${lab.submissionPort}, smtp ${lab.smtpHost}:${lab.smtpPort})`);
    webUid = (await lookupUser(lab.webUser))!.uid;
    scriptDir = await prepareScriptDir(lab.webUser, "blog/wp-content");

    const [alice, bob] = lab.users;
    const submission = { host: lab.smtpHost, port: lab.submissionPort };
    const smtp = { host: lab.smtpHost, port: lab.smtpPort };
    // Each scenario has its own client address, so Dovecot's per-IP failure
    // penalty after the wrong password cannot slow the others down.
    await sendAuthenticated({ ...submission, localInterface: "127.0.0.41", user: alice!.name, password: alice!.password, from: `${alice!.name}@${lab.domain}`, to: ["victim@example.net", `${lab.webUser}@${lab.domain}`] });
    await sendWithWrongPassword({ ...submission, localInterface: "127.0.0.42", user: bob!.name, password: "not-bobs-password", from: `${bob!.name}@${lab.domain}`, to: ["victim@example.net"] });
    relayReply = (await attemptRelay({ ...smtp, localInterface: "127.0.0.43", from: "spammer@example.org", to: "victim@example.com" })).lastReply;
    await sendToBadLocalUser({ ...smtp, localInterface: "127.0.0.44", from: "forged@example.org", to: [`nosuchuser@${lab.domain}`] });
    // From the lab's own address (inside mynetworks), relaying is allowed: the message is queued, then deferred.
    await sendToUnreachable({ ...smtp, localInterface: lab.smtpHost, from: `newsletter@${lab.domain}`, to: ["someone@unreachable.example"] });
    await sendLocal({
      sendmailPath: lab.sendmailPath,
      sendmailArgs: lab.sendmailArgs,
      asUser: lab.webUser,
      cwd: scriptDir,
      from: `${lab.webUser}@${lab.domain}`,
      to: ["lucky-winner@example.com"],
      subject: "You won",
      headers: { "X-PHP-Originating-Script": `${webUid}:contact.php` },
    });
    await lab.setOpenRelay(true);
    openRelayExit = (await attemptRelay({ ...smtp, localInterface: "127.0.0.46", from: "spammer@example.org", to: "open-relay-victim@example.com" })).exitCode;
    await lab.setOpenRelay(false);
    closedAgainReply = (await attemptRelay({ ...smtp, localInterface: "127.0.0.47", from: "spammer@example.org", to: "victim3@example.com" })).lastReply;
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it("logs the authenticated submission with the SASL user", async () => {
    const line = await waitForLine(lab.logPath, /postfix\/submission\/smtpd\[\d+\]: \w+: client=unknown\[127\.0\.0\.41\], sasl_method=LOGIN, sasl_username=alice$/);
    expect(line).toContain("sasl_username=alice");
  });

  it("logs the wrong password as a SASL failure", async () => {
    const line = await waitForLine(lab.logPath, "SASL LOGIN authentication failed");
    expect(line).toMatch(/warning: unknown\[127\.0\.0\.42\]: SASL LOGIN authentication failed: .*sasl_username=bob/);
  });

  it("refuses to relay for an outside client, and relays once made an open relay", async () => {
    expect(relayReply).toMatch(/^554 5\.7\.1 <victim@example\.com>: Relay access denied/);
    await waitForLine(lab.logPath, /NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.43\]: 554 5\.7\.1 <victim@example\.com>: Relay access denied/);
    expect(openRelayExit).toBe(0);
    await waitForLine(lab.logPath, /client=unknown\[127\.0\.0\.46\]$/);
    expect(closedAgainReply).toMatch(/Relay access denied/);
  });

  it("defers mail to an unreachable domain and lists it in postqueue -j", async () => {
    await waitForLine(lab.logPath, /to=<someone@unreachable\.example>, relay=none, .*status=deferred \(connect to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: Connection refused\)/);
    const queue = (await lab.postqueueJson()).trim().split("\n").map((l) => JSON.parse(l) as { queue_name: string; sender: string; recipients: { address: string }[] });
    const deferred = queue.find((m) => m.recipients.some((r) => r.address === "someone@unreachable.example"));
    expect(deferred?.queue_name).toBe("deferred");
    expect(deferred?.sender).toBe(`newsletter@${lab.domain}`);
  });

  it("accepts mail for an unknown local user, then bounces it (backscatter to the forged sender)", async () => {
    await waitForLine(lab.logPath, /postfix\/local\[\d+\]: \w+: to=<nosuchuser@lab\.test>, relay=local, .*status=bounced \(unknown user: "nosuchuser"\)/);
    await waitForLine(lab.logPath, /to=<forged@example\.org>, relay=none, .*status=deferred/);
  });

  it("logs the web user's local submission (pickup uid=) and the X-PHP-Originating-Script header", async () => {
    await waitForLine(lab.logPath, new RegExp(`postfix/pickup\\[\\d+\\]: \\w+: uid=${webUid} from=<${lab.webUser}>`));
    await waitForLine(lab.logPath, new RegExp(`postfix/cleanup\\[\\d+\\]: \\w+: warning: header X-PHP-Originating-Script: ${webUid}:contact\\.php from local;`));
  });

  it("stops Postfix and Dovecot completely", async () => {
    const pids = await lab.daemonPids();
    expect(pids.length).toBeGreaterThanOrEqual(4); // master, qmgr, pickup, dovecot master + its helpers
    await lab.stop();
    await expectAllGone(pids);
    expect(await lab.daemonPids()).toEqual([]);
  });
});

describe("Exim lab (unpacked exim4-daemon-light, patched config path)", () => {
  let lab: EximLab;
  let scriptDir: string;
  let relayReply = "";
  let openRelayExit = -1;

  beforeAll(async () => {
    const started = Date.now();
    lab = await startEximLab();
    console.log(`exim lab started in ${Date.now() - started} ms (${lab.smtpHost}:${lab.smtpPort})`);
    scriptDir = await prepareScriptDir(lab.webUser, "shop/includes");

    const [alice, bob] = lab.users;
    const smtp = { host: lab.smtpHost, port: lab.smtpPort };
    await sendAuthenticated({ ...smtp, localInterface: "127.0.0.51", mechanism: "PLAIN", user: alice!.name, password: alice!.password, from: `${alice!.name}@${lab.domain}`, to: ["victim@example.net"] });
    await sendWithWrongPassword({ ...smtp, localInterface: "127.0.0.52", user: bob!.name, password: "not-bobs-password", from: `${bob!.name}@${lab.domain}`, to: ["victim@example.net"] });
    relayReply = (await attemptRelay({ ...smtp, localInterface: "127.0.0.53", from: "spammer@example.org", to: "victim@example.com" })).lastReply;
    await sendToBadLocalUser({ ...smtp, localInterface: "127.0.0.54", from: "forged@example.org", to: [`nosuchuser@${lab.domain}`] });
    await sendToUnreachable({ ...smtp, localInterface: lab.smtpHost, from: `newsletter@${lab.domain}`, to: ["someone@unreachable.example"] });
    await lab.submitAs(lab.webUser, scriptDir, buildMessage({ from: `${lab.webUser}@${lab.domain}`, to: ["lucky-winner@example.com"], subject: "You won" }));
    await lab.setOpenRelay(true);
    openRelayExit = (await attemptRelay({ ...smtp, localInterface: "127.0.0.56", from: "spammer@example.org", to: "open-relay-victim@example.com" })).exitCode;
    await lab.setOpenRelay(false);
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it("logs the authenticated submission with A=<authenticator>:<user>", async () => {
    const line = await waitForLine(lab.logPath, / <= alice@exim\.test H=\S+ \[127\.0\.0\.51\]:\d+ I=\[127\.0\.0\.27\]:\d+ P=esmtpa .*A=plain:alice /);
    expect(line).toContain("for victim@example.net");
  });

  it("logs the wrong password as an authenticator failure, in mainlog and rejectlog", async () => {
    const pattern = /login authenticator failed for \S+ \[127\.0\.0\.52\]:\d+ I=\[127\.0\.0\.27\]:\d+: 535 Incorrect authentication data \(set_id=bob\)/;
    await waitForLine(lab.logPath, pattern);
    await waitForLine(lab.rejectLogPath, pattern);
  });

  it("refuses to relay for an outside client, and relays once made an open relay", async () => {
    expect(relayReply).toBe("550 relay not permitted");
    await waitForLine(lab.logPath, /H=\S+ \[127\.0\.0\.53\]:\d+ .*F=<spammer@example\.org> rejected RCPT <victim@example\.com>: relay not permitted/);
    expect(openRelayExit).toBe(0);
    await waitForLine(lab.logPath, /<= spammer@example\.org H=\S+ \[127\.0\.0\.56\]:\d+ .*P=esmtp .*for open-relay-victim@example\.com/);
  });

  it("defers mail to an unreachable domain and lists it in exim -bp", async () => {
    await waitForLine(lab.logPath, /== someone@unreachable\.example R=dead_end T=dead_end_smtp defer/);
    const queue = await lab.queueListing();
    expect(queue).toMatch(/<newsletter@exim\.test>\n\s+someone@unreachable\.example/);
  });

  it("accepts mail for an unknown local user, then bounces it (** and a <> message)", async () => {
    const bounce = await waitForLine(lab.logPath, /\*\* nosuchuser@exim\.test F=<forged@example\.org> R=unknown_user: Unknown user/);
    const id = /\] (\S+) \*\*/.exec(bounce)![1]!;
    await waitForLine(lab.logPath, new RegExp(`<= <> R=${id} U=Debian-exim P=local .*for forged@example\\.org`));
  });

  it("logs the web user's local submission with its cwd and U=webuser1 P=local", async () => {
    await waitForLine(lab.logPath, new RegExp(`cwd=${scriptDir} \\d+ args: ${lab.eximPath} -t -i`));
    await waitForLine(lab.logPath, /<= webuser1@exim\.test U=webuser1 P=local .*for lucky-winner@example\.com/);
    expect(await readFile(lab.logPath, "utf8")).not.toMatch(/Permission denied/);
  });

  it("stops Exim completely", async () => {
    const pids = await lab.daemonPids();
    expect(pids.length).toBeGreaterThanOrEqual(1);
    await lab.stop();
    await expectAllGone(pids);
    expect(await lab.daemonPids()).toEqual([]);
  });
});
