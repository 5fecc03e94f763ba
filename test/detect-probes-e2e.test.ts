import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { buildMessage, prepareScriptDir, sendAuthenticated, sendWithWrongPassword } from "./setup/mta/drive-traffic.js";
import { startEximLab, type EximLab } from "./setup/mta/exim-lab.js";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";
import { freePort } from "./setup/free-port.js";
import { startAll } from "./setup/start-all.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

interface Incident {
  rule: string;
  scope: string;
  subject: string;
  hosts: string[];
}

// Detection on real parts end to end: real Postfix and Exim, a real probe on
// each tailing the logs those daemons wrote, the collector, ClickHouse 18.16,
// and a webhook standing for the abuse desk. Thresholds are lowered so the
// scenarios run in seconds; the rules and their SQL are the production ones.
describe("detections from real MTA traffic seen by real probes", () => {
  let server: ClickHouseServer;
  let postfix: PostfixLab;
  let exim: EximLab;
  let lab: Lab;
  let webhook: Server;
  const notified: Record<string, unknown>[] = [];

  beforeAll(async () => {
    [server, postfix, exim] = await startAll([startClickHouseServer(), startPostfixLab(), startEximLab()] as const);
    webhook = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        notified.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(200).end();
      });
    });
    const hookPort = await freePort();
    await new Promise<void>((resolve) => webhook.listen(hookPort, "127.0.0.1", resolve));
    lab = await makeLab({
      store: server,
      probeHostIds: ["pf-host", "ex-host"],
      ports: [await freePort()],
      probeExtra: { sockets: { snapshotIntervalMs: 500 } },
      collectorExtra: {
        detect: {
          intervalMs: 1000,
          trustedNetworks: [],
          rules: {
            webScript: { minMessages: 5, baselineFloorMessages: 1 },
            authBruteforce: { minFailures: 5 },
            compromisedAccount: { burstFailures: 5 },
          },
        },
        alert: { webhooks: [{ name: "abuse-desk", url: `http://127.0.0.1:${hookPort}/hook` }] },
      },
    });
    const mtaCommon = { windowMs: 2000, logStartAt: "start", queueIntervalMs: 0 };
    const patch = (hostId: string, mta: Record<string, unknown>): Promise<void> => lab.setProbeMta(hostId, { ...mtaCommon, ...mta });
    await patch("pf-host", { kind: "postfix", logPaths: [postfix.logPath], commandEnv: { MAIL_CONFIG: postfix.configDir } });
    await patch("ex-host", { kind: "exim", logPaths: [exim.logPath], binaryPaths: [exim.eximPath] });
    await lab.startCollector();
    await lab.startProbe("pf-host");
    await lab.startProbe("ex-host");
  }, 300_000);

  afterAll(async () => {
    await lab?.close();
    webhook?.closeAllConnections();
    await new Promise((resolve) => webhook?.close(resolve));
    await Promise.all([postfix?.stop(), exim?.stop(), server?.stop()]);
  });

  const incidents = (): Promise<Incident[]> => lab.sql<Incident>(`SELECT rule, scope, subject, hosts FROM ${lab.database}.alerts FINAL ORDER BY rule, subject`);
  const waitForIncident = (rule: string, subject: (s: string) => boolean): Promise<Incident> =>
    waitFor(`a ${rule} incident`, async () => (await incidents()).find((i) => i.rule === rule && subject(i.subject)), 60_000, 500);

  it("web-script: a script in public_html sending through Exim above the threshold is named by its path", async () => {
    const dir = await prepareScriptDir(exim.webUser, "promo/mailer");
    for (let i = 0; i < 8; i++) {
      await exim.submitAs(exim.webUser, dir, buildMessage({ from: `${exim.webUser}@${exim.domain}`, to: [`winner${i}@example.com`], subject: "You won" }));
    }
    const incident = await waitForIncident("web-script", (s) => s.includes(dir));
    expect(incident.hosts).toEqual(["ex-host"]);
  });

  it("auth-bruteforce on many wrong passwords from one IP, then compromised-account when that IP logs in", async () => {
    const [alice, bob] = exim.users;
    const target = { host: exim.smtpHost, port: exim.smtpPort, localInterface: "127.0.0.91" };
    for (let i = 0; i < 6; i++) {
      await sendWithWrongPassword({ ...target, user: bob!.name, password: `guess-${i}`, from: `${bob!.name}@${exim.domain}`, to: ["x@example.net"] });
    }
    const brute = await waitForIncident("auth-bruteforce", (s) => s.includes("127.0.0.91"));
    expect(brute.hosts).toEqual(["ex-host"]);
    await sendAuthenticated({ ...target, mechanism: "PLAIN", user: alice!.name, password: alice!.password, from: `${alice!.name}@${exim.domain}`, to: ["y@example.net"] });
    const compromised = await waitForIncident("compromised-account", (s) => s.includes(alice!.name));
    expect(compromised.hosts).toEqual(["ex-host"]);
  });

  it("fleet-wide: one client IP guessing, then logging in as different users on two hosts, is one fleet incident", async () => {
    const [palice] = postfix.users;
    const [, ebob] = exim.users;
    // Shared addresses (CGNAT, offices) log in as several users all day; what marks credential stuffing
    // is evidence beside it (the rule wants two signals): the accounts' owners use their own address ...
    await sendAuthenticated({ host: postfix.smtpHost, port: postfix.submissionPort, localInterface: "127.0.0.93", user: palice!.name, password: palice!.password, from: `${palice!.name}@${postfix.domain}`, to: ["z@example.net"] });
    await sendAuthenticated({ host: exim.smtpHost, port: exim.smtpPort, localInterface: "127.0.0.93", mechanism: "PLAIN", user: ebob!.name, password: ebob!.password, from: `${ebob!.name}@${exim.domain}`, to: ["z@example.net"] });
    // ... and the attacker's address, new to both accounts, fails several passwords before it gets in
    // (on Exim: Dovecot's penalty for a failing address would make Postfix's next AUTH time out, 454).
    for (const guess of ["Summer2026!", "Password1", "Welcome1", "Qwerty123", "Letmein1"]) {
      await sendWithWrongPassword({ host: exim.smtpHost, port: exim.smtpPort, localInterface: "127.0.0.92", mechanism: "PLAIN", user: ebob!.name, password: guess, from: `${ebob!.name}@${exim.domain}`, to: ["z@example.net"] });
    }
    // Once in, it sends unlike the owner: one message to 22 domains (the rule's "sending changed").
    const spread = Array.from({ length: 22 }, (_, k) => `buyer${k}@shop${k}.example`);
    await sendAuthenticated({ host: postfix.smtpHost, port: postfix.submissionPort, localInterface: "127.0.0.92", user: palice!.name, password: palice!.password, from: `${palice!.name}@${postfix.domain}`, to: spread });
    await sendAuthenticated({ host: exim.smtpHost, port: exim.smtpPort, localInterface: "127.0.0.92", mechanism: "PLAIN", user: ebob!.name, password: ebob!.password, from: `${ebob!.name}@${exim.domain}`, to: ["z@example.net"] });
    const fleet = await waitForIncident("compromised-account", (s) => s.includes("127.0.0.92"));
    expect(fleet.scope).toBe("fleet");
    expect([...fleet.hosts].sort()).toEqual(["ex-host", "pf-host"]);
    const all = await incidents();
    expect(all.filter((i) => i.subject.includes("127.0.0.92") && i.rule === "compromised-account")).toHaveLength(1);
  });

  it("notifies the abuse desk once per incident", async () => {
    // Open notifications only: an incident may also escalate or resolve while the run goes on, and each of
    // those is notified once too (alert-router's claim keys); a late incident brings its own open.
    const ids = async (): Promise<string[]> =>
      (await lab.sql<{ incident_id: string }>(`SELECT DISTINCT incident_id FROM ${lab.database}.alerts FINAL`)).map((r) => r.incident_id).sort();
    const opened = (): string[] => notified.filter((n) => n.event === "open").map((n) => String((n.incident as { id: string }).id));
    await waitFor("an open notification per incident", async () => ((await ids()).every((id) => opened().includes(id)) ? true : undefined), 20_000, 250);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // updates must not notify again
    expect([...opened()].sort()).toEqual(await ids());
  });
});
