// From a complaint to the culprit, on real MTAs: messages the lab's Postfix
// and Exim accepted (and still hold: outside mail defers) are taken out of
// their queues with postcat / exim -Mvc, with the Received: headers those
// MTAs really wrote, a recipient MX hop is put on top, and `spamtrace
// complaint` must name the host, the verdict and the account, local user or
// script, find the message's `messages` row (written by real probes through
// a real collector into ClickHouse 18.16) and the incident of its account.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildComplaintReport, formatComplaintReport, type ComplaintReport } from "../collector/complaint/complaint-report.js";
import { readComplaint } from "../collector/complaint/read-complaint.js";
import type { Row } from "../collector/store/clickhouse/store.js";
import { REPO_ROOT } from "./setup/cli-process.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { prepareScriptDir, sendAuthenticated, sendLocal, swaks } from "./setup/mta/drive-traffic.js";
import { run } from "./setup/mta/lab-common.js";
import { startEximLab, type EximLab } from "./setup/mta/exim-lab.js";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";
import { freePort } from "./setup/free-port.js";
import { startAll } from "./setup/start-all.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";
import { arfReport, withMxHop } from "./setup/complaint-mail.js";

/** A Received: header of someone else's server, as a customer's own MTA relaying through ours writes it. */
const FOREIGN_HOP = "from pc7.customer.example (pc7.customer.example [198.51.100.7]) by mx.customer.example (Postfix) with ESMTP id 4Abc1X2yz3 for <victim@example.net>; Mon, 7 Dec 2026 05:00:00 +0000";

describe("spamtrace complaint on messages the real Postfix and Exim accepted", () => {
  let server: ClickHouseServer;
  let postfix: PostfixLab;
  let exim: EximLab;
  let lab: Lab;
  /** Envelope sender → the complaint built from the queued message. */
  const complaints = new Map<string, Buffer>();

  const query = (sql: string): Promise<Row[]> => lab.sql<Row>(sql);
  const trace = async (raw: Buffer): Promise<ComplaintReport> => buildComplaintReport(await readComplaint(raw), query, lab.database, 24 * 3_600_000);

  beforeAll(async () => {
    [server, postfix, exim] = await startAll([
      startClickHouseServer(),
      startPostfixLab({ labDir: "/var/lib/spamtrace-test/postfix-lab-complaint", smtpHost: "127.0.0.46" }),
      startEximLab({ labDir: "/var/lib/spamtrace-test/exim-lab-complaint", smtpHost: "127.0.0.47" }),
    ] as const);
    lab = await makeLab({
      store: server,
      probeHostIds: ["pf-host", "ex-host"],
      ports: [await freePort()],
      // alice's two Postfix messages open a compromised-account incident; one message (bob, Exim's alice) does not.
      collectorExtra: { detect: { intervalMs: 1000, trustedNetworks: [], rules: { compromisedAccount: { minMessages: 2, baselineFloorMessages: 1, baselineMultiplier: 1 } } } },
      probeExtra: { sockets: { snapshotIntervalMs: 500 } },
    });
    const mtaCommon = { windowMs: 2000, logStartAt: "start", queueIntervalMs: 0 };
    const patch = (hostId: string, mta: Record<string, unknown>): Promise<void> => lab.setProbeMta(hostId, { ...mtaCommon, ...mta });
    await patch("pf-host", { kind: "postfix", logPaths: [postfix.logPath], commandEnv: { MAIL_CONFIG: postfix.configDir } });
    await patch("ex-host", { kind: "exim", logPaths: [exim.logPath], binaryPaths: [exim.eximPath] });
    await lab.startCollector();
    await lab.startProbe("pf-host");
    await lab.startProbe("ex-host");

    const [alice, bob] = postfix.users;
    const pfSubmission = { host: postfix.smtpHost, port: postfix.submissionPort };
    const pfSmtp = { host: postfix.smtpHost, port: postfix.smtpPort };
    // Authenticated submission with a forged From: (Debian's Postfix writes no "Authenticated sender").
    await sendAuthenticated({ ...pfSubmission, localInterface: "127.0.0.81", user: alice!.name, password: alice!.password, from: `alice@${postfix.domain}`, to: ["victim@example.net"], replaceHeaders: { From: "PayPal Service <service@paypal.example>" } });
    await sendAuthenticated({ ...pfSubmission, localInterface: "127.0.0.81", user: alice!.name, password: alice!.password, from: `promo@${postfix.domain}`, to: ["victim2@example.org"] });
    const pfScript = await prepareScriptDir(postfix.webUser, "blog/wp-content");
    await sendLocal({ sendmailPath: postfix.sendmailPath, sendmailArgs: postfix.sendmailArgs, asUser: postfix.webUser, cwd: pfScript, from: `${postfix.webUser}@${postfix.domain}`, to: ["lucky@example.com"], headers: { "X-PHP-Originating-Script": "1001:contact.php" } });
    await sendAuthenticated({ ...pfSubmission, localInterface: "127.0.0.82", user: bob!.name, password: bob!.password, from: "customer@customer.example", to: ["victim@example.net"], headers: { Received: FOREIGN_HOP } });
    const relayed = await swaks({ ...pfSmtp, localInterface: "127.0.0.1" }, { from: "other@partner.example", to: ["victim@example.net"], headers: { Received: FOREIGN_HOP } });
    expect(relayed.exitCode, relayed.lastReply).toBe(0);

    const [ealice, ebob] = exim.users;
    const exSmtp = { host: exim.smtpHost, port: exim.smtpPort };
    await sendAuthenticated({ ...exSmtp, localInterface: "127.0.0.83", mechanism: "PLAIN", user: ealice!.name, password: ealice!.password, from: `alice@${exim.domain}`, to: ["victim@example.net"], replaceHeaders: { From: "Bank <security@bank.example>" } });
    const exScript = await prepareScriptDir(exim.webUser, "shop/includes");
    await exim.submitAs(exim.webUser, exScript, `From: ${exim.webUser}@${exim.domain}\nTo: lucky@example.com\nSubject: You won\nX-PHP-Originating-Script: 1001:mailer.php\n\nClaim it.\n`);
    await sendAuthenticated({ ...exSmtp, localInterface: "127.0.0.84", mechanism: "PLAIN", user: ebob!.name, password: ebob!.password, from: "customer@customer.example", to: ["victim@example.net"], headers: { Received: FOREIGN_HOP } });
    const eRelayed = await swaks({ ...exSmtp, localInterface: "127.0.0.1" }, { from: "other@partner.example", to: ["victim@example.net"], headers: { Received: FOREIGN_HOP } });
    expect(eRelayed.exitCode, eRelayed.lastReply).toBe(0);

    // Every message is still queued (outside mail defers): take each out with its real headers.
    const pfQueue = (await postfix.postqueueJson()).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { queue_id: string; sender: string });
    for (const m of pfQueue) {
      const out = await run("postcat", ["-c", postfix.configDir, "-bh", "-q", m.queue_id]);
      complaints.set(`pf:${m.sender}`, withMxHop(out.stdout.split("\n").filter((l) => !l.startsWith("*** ")).join("\n"), postfix.smtpHost));
    }
    const exQueue = [...(await exim.queueListing()).matchAll(/^\s*\S+\s+\S+\s+(\S{16,23})\s+<([^>]*)>/gm)];
    for (const [, id, sender] of exQueue) {
      const out = await run(exim.eximPath, ["-Mvc", id!]);
      // -Mvc prints the message as it would be delivered, headers first.
      complaints.set(`ex:${sender}`, withMxHop(out.stdout, exim.smtpHost));
    }
    // Each message's row must be stored before the lookups run.
    await waitFor("messages rows of every queued message", async () => {
      const rows = await lab.sql<{ n: string }>(`SELECT count() AS n FROM ${lab.database}.messages`);
      return Number(rows[0]?.n ?? 0) >= pfQueue.length + exQueue.length ? true : undefined;
    }, 60_000, 500);
  }, 300_000);

  afterAll(async () => {
    await lab?.close();
    await Promise.all([postfix?.stop(), exim?.stop(), server?.stop()]);
  });

  const complaint = (key: string): Buffer => {
    const c = complaints.get(key);
    expect(c, `${key} taken out of the queue (have ${[...complaints.keys()].join(", ")})`).toBeDefined();
    return c!;
  };

  it("stores one messages row per accepted message with its identities, and the MTA names with the host", async () => {
    const rows = await lab.sql<{ host_id: string; sender: string; sasl_user: string; local_user: string; script: string; client_ip: string; n: string }>(
      `SELECT host_id, sender, sasl_user, local_user, script, client_ip, count() AS n FROM ${lab.database}.messages WHERE sender != '' GROUP BY host_id, sender, sasl_user, local_user, script, client_ip ORDER BY host_id, sender`,
    );
    const got = rows.map((r) => `${r.host_id} ${r.sender} sasl=${r.sasl_user} local=${r.local_user} script=${r.script} ip=${r.client_ip} n=${r.n}`);
    expect(got).toEqual([
      "ex-host alice@exim.test sasl=alice local= script= ip=127.0.0.83 n=1",
      "ex-host customer@customer.example sasl=bob local= script= ip=127.0.0.84 n=1",
      "ex-host other@partner.example sasl= local= script= ip=127.0.0.1 n=1",
      `ex-host webuser1@exim.test sasl= local=webuser1 script=/home/webuser1/public_html/shop/includes ip= n=1`,
      "pf-host alice@lab.test sasl=alice local= script= ip=127.0.0.81 n=1",
      "pf-host customer@customer.example sasl=bob local= script= ip=127.0.0.82 n=1",
      "pf-host other@partner.example sasl= local= script= ip=127.0.0.1 n=1",
      "pf-host promo@lab.test sasl=alice local= script= ip=127.0.0.81 n=1",
      "pf-host webuser1@lab.test sasl= local=webuser1 script=1001:contact.php ip= n=1",
    ]);
    const hosts = await lab.sql<{ host_id: string; mta_names: string[] }>(`SELECT host_id, mta_names FROM ${lab.database}.hosts FINAL ORDER BY host_id`);
    expect(hosts).toEqual([
      { host_id: "ex-host", mta_names: ["mail.exim.test"] },
      { host_id: "pf-host", mta_names: ["mail.lab.test"] },
    ]);
  });

  it("Postfix, authenticated submission with a forged From: origin, the account from the messages row, its incident", async () => {
    const incident = await waitFor("alice's compromised-account incident", async () => {
      const rows = await lab.sql<{ incident_id: string }>(`SELECT incident_id FROM ${lab.database}.alerts WHERE rule = 'compromised-account' AND subject = 'alice' AND scope_host = 'pf-host' LIMIT 1`);
      return rows[0]?.incident_id;
    }, 60_000, 500);
    const r = await trace(complaint("pf:alice@lab.test"));
    expect(r.json).toMatchObject({ verdict: "origin", host: "pf-host", sasl_user: "alice", local_user: null, script: null, client_ip: "127.0.0.81" });
    expect(r.json.hop).toMatch(/by mail\.lab\.test \(Postfix\) with ESMTPA id /);
    expect(r.message?.by).toBe("queue_id");
    expect(r.json.queue_id).toBe(r.message?.queue_id);
    expect(r.json.evidence.join("\n")).toMatch(/From: service@paypal\.example differs from the envelope sender alice@lab\.test/);
    expect(r.json.incidents).toEqual([incident]);
    process.stdout.write(`\n--- Postfix origin, as printed ---\n${formatComplaintReport(r)}`);
  });

  it("Postfix, a local script: origin, the local user and the script", async () => {
    const r = await trace(complaint("pf:webuser1@lab.test"));
    expect(r.json).toMatchObject({ verdict: "origin", host: "pf-host", sasl_user: null, local_user: "webuser1", script: "1001:contact.php", client_ip: null, incidents: [] });
    expect(r.json.hop).toMatch(/by mail\.lab\.test \(Postfix, from userid \d+\)/);
    expect(r.message?.by).toBe("queue_id");
  });

  it("Postfix, relayed with and without authentication: relay, the account when there was one", async () => {
    const authed = await trace(complaint("pf:customer@customer.example"));
    expect(authed.json).toMatchObject({ verdict: "relay", host: "pf-host", sasl_user: "bob", client_ip: "127.0.0.82", incidents: [] });
    expect(authed.json.evidence.join("\n")).toMatch(/someone else's hop comes before ours: mx\.customer\.example/);
    const open = await trace(complaint("pf:other@partner.example"));
    expect(open.json).toMatchObject({ verdict: "relay", host: "pf-host", sasl_user: null, local_user: null, client_ip: "127.0.0.1" });
    expect(open.message?.queue_id).toBe(open.json.queue_id);
    process.stdout.write(`\n--- Postfix relay, as printed ---\n${formatComplaintReport(authed)}`);
  });

  it("Exim: authenticated origin, local script origin, relays with and without authentication", async () => {
    const authed = await trace(complaint("ex:alice@exim.test"));
    expect(authed.json).toMatchObject({ verdict: "origin", host: "ex-host", sasl_user: "alice", client_ip: "127.0.0.83" });
    expect(authed.json.hop).toMatch(/by mail\.exim\.test with esmtpa \(Exim [\d.]+\)/);
    const script = await trace(complaint("ex:webuser1@exim.test"));
    expect(script.json).toMatchObject({ verdict: "origin", host: "ex-host", local_user: "webuser1", script: "/home/webuser1/public_html/shop/includes", client_ip: null });
    const relayAuthed = await trace(complaint("ex:customer@customer.example"));
    expect(relayAuthed.json).toMatchObject({ verdict: "relay", host: "ex-host", sasl_user: "bob", client_ip: "127.0.0.84" });
    const relayOpen = await trace(complaint("ex:other@partner.example"));
    expect(relayOpen.json).toMatchObject({ verdict: "relay", host: "ex-host", sasl_user: null, client_ip: "127.0.0.1" });
    for (const r of [authed, script, relayAuthed, relayOpen]) expect(r.message?.by, r.json.evidence.join("\n")).toBe("queue_id");
  });

  it("an ARF report wrapping one of them, through the CLI on standard input, --json", async () => {
    const original = complaint("pf:alice@lab.test");
    const report = arfReport(original, "abuse");
    const child = await runCliWithStdin(["complaint", "--config", lab.collectorConfigFile, "--json"], report);
    expect(child.code, child.stderr).toBe(0);
    const json = JSON.parse(child.stdout) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(["verdict", "host", "hop", "sasl_user", "local_user", "script", "client_ip", "message_id", "queue_id", "evidence", "incidents"]);
    expect(json).toMatchObject({ verdict: "origin", host: "pf-host", sasl_user: "alice" });
    expect((json.evidence as string[])[0]).toMatch(/feedback report \(Feedback-Type: abuse\)/);
    expect((json.incidents as string[]).length).toBe(1);
  });

  it("a message that never passed the fleet is not ours", async () => {
    const outside = Buffer.from(`Received: from a.example (a.example [203.0.113.9]) by mx.example.net (Postfix) with ESMTP id 9ZZ; Mon, 7 Dec 2026 05:00:00 +0000\r\nFrom: x@a.example\r\nMessage-ID: <nope@a.example>\r\nSubject: hi\r\n\r\nbody\r\n`);
    const r = await trace(outside);
    expect(r.json).toMatchObject({ verdict: "not-ours", host: null, queue_id: null, incidents: [] });
  });

  async function runCliWithStdin(args: string[], input: Buffer): Promise<{ code: number | string; stdout: string; stderr: string }> {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [`${REPO_ROOT}bin/spamtrace.js`, ...args], { cwd: lab.dir });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.stdin.end(input);
    const code = await new Promise<number | string>((resolve) => child.once("exit", (c, s) => resolve(c ?? s ?? "unknown")));
    return { code, stdout, stderr };
  }
});
