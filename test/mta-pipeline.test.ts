import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { attemptRelay, buildMessage, prepareScriptDir, sendAuthenticated, sendLocal, sendToBadLocalUser, sendToUnreachable, sendWithWrongPassword } from "./setup/mta/drive-traffic.js";
import { startEximLab, type EximLab } from "./setup/mta/exim-lab.js";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";
import { freePort } from "./setup/free-port.js";
import { startAll } from "./setup/start-all.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

interface WindowTotals {
  identity_kind: string;
  identity: string;
  received: number;
  delivered: number;
  deferred: number;
  bounced: number;
  rejected: number;
  relay_denied: number;
  auth_failures: number;
  auth_successes: number;
  null_sender: number;
}

// Real MTAs, real probes tailing the logs those MTAs really wrote, a real
// collector and ClickHouse 18.16: the stored windows must carry the exact
// counts and identities of the traffic driven here.
describe("MTA logs and queues to ClickHouse (Postfix + Dovecot, Exim)", () => {
  let server: ClickHouseServer;
  let postfix: PostfixLab;
  let exim: EximLab;
  let lab: Lab;

  beforeAll(async () => {
    [server, postfix, exim] = await startAll([startClickHouseServer(), startPostfixLab(), startEximLab()] as const);
    const mtaCommon = { windowMs: 2000, logStartAt: "start", queueIntervalMs: 1000 };
    lab = await makeLab({
      store: server,
      probeHostIds: ["pf-host", "ex-host"],
      ports: [await freePort()],
      probeExtra: { sockets: { snapshotIntervalMs: 500 } },
    });
    // Each probe watches its own MTA; the lab's Postfix is an instance of its own (MAIL_CONFIG).
    const patch = (hostId: string, mta: Record<string, unknown>): Promise<void> => lab.setProbeMta(hostId, { ...mtaCommon, ...mta });
    await patch("pf-host", { kind: "postfix", logPaths: [postfix.logPath], commandEnv: { MAIL_CONFIG: postfix.configDir } });
    await patch("ex-host", { kind: "exim", logPaths: [exim.logPath], binaryPaths: [exim.eximPath] });
    await lab.startCollector();
    await lab.startProbe("pf-host");
    await lab.startProbe("ex-host");

    const [alice, bob] = postfix.users;
    const submission = { host: postfix.smtpHost, port: postfix.submissionPort };
    const smtp = { host: postfix.smtpHost, port: postfix.smtpPort };
    await sendAuthenticated({ ...submission, localInterface: "127.0.0.61", user: alice!.name, password: alice!.password, from: `${alice!.name}@${postfix.domain}`, to: ["victim@example.net", "victim@example.org", `${postfix.webUser}@${postfix.domain}`] });
    await sendWithWrongPassword({ ...submission, localInterface: "127.0.0.62", user: bob!.name, password: "wrong", from: `${bob!.name}@${postfix.domain}`, to: ["victim@example.net"] });
    await attemptRelay({ ...smtp, localInterface: "127.0.0.63", from: "spammer@example.org", to: "victim@example.com" });
    await sendToBadLocalUser({ ...smtp, localInterface: "127.0.0.64", from: "forged@example.org", to: [`nosuchuser@${postfix.domain}`] });
    await sendToUnreachable({ ...smtp, localInterface: postfix.smtpHost, from: `newsletter@${postfix.domain}`, to: ["someone@unreachable.example"] });
    const pfScript = await prepareScriptDir(postfix.webUser, "blog/wp-content");
    await sendLocal({ sendmailPath: postfix.sendmailPath, sendmailArgs: postfix.sendmailArgs, asUser: postfix.webUser, cwd: pfScript, from: `${postfix.webUser}@${postfix.domain}`, to: ["lucky-winner@example.com"], headers: { "X-PHP-Originating-Script": "1001:contact.php" } });

    const [ealice, ebob] = exim.users;
    const esmtp = { host: exim.smtpHost, port: exim.smtpPort };
    await sendAuthenticated({ ...esmtp, localInterface: "127.0.0.71", mechanism: "PLAIN", user: ealice!.name, password: ealice!.password, from: `${ealice!.name}@${exim.domain}`, to: ["victim@example.net"] });
    await sendWithWrongPassword({ ...esmtp, localInterface: "127.0.0.72", user: ebob!.name, password: "wrong", from: `${ebob!.name}@${exim.domain}`, to: ["victim@example.net"] });
    await attemptRelay({ ...esmtp, localInterface: "127.0.0.73", from: "spammer@example.org", to: "victim@example.com" });
    await sendToBadLocalUser({ ...esmtp, localInterface: "127.0.0.74", from: "forged@example.org", to: [`nosuchuser@${exim.domain}`] });
    const exScript = await prepareScriptDir(exim.webUser, "shop/includes");
    await exim.submitAs(exim.webUser, exScript, buildMessage({ from: `${exim.webUser}@${exim.domain}`, to: ["lucky-winner@example.com", "other@example.net"], subject: "You won" }));
  }, 300_000);

  afterAll(async () => {
    await lab?.close();
    await Promise.all([postfix?.stop(), exim?.stop(), server?.stop()]);
  });

  const totals = (hostId: string): Promise<WindowTotals[]> =>
    lab.sql<WindowTotals>(
      `SELECT identity_kind, identity, sum(received) AS received, sum(delivered) AS delivered, sum(deferred) AS deferred, sum(bounced) AS bounced,
              sum(rejected) AS rejected, sum(relay_denied) AS relay_denied, sum(auth_failures) AS auth_failures, sum(auth_successes) AS auth_successes,
              sum(null_sender) AS null_sender
       FROM ${lab.database}.mail_windows WHERE host_id = '${hostId}' GROUP BY identity_kind, identity ORDER BY identity_kind, identity`,
    );

  /** Sums of one identity, numbers only; zeros for counters not listed. */
  const expectIdentity = (rows: WindowTotals[], kind: string, identity: string, expected: Partial<Record<keyof WindowTotals, number>>): void => {
    const row = rows.find((r) => r.identity_kind === kind && r.identity === identity);
    expect(row, `${kind} ${identity} in mail_windows`).toBeDefined();
    const counters = ["received", "delivered", "bounced", "rejected", "relay_denied", "auth_failures", "auth_successes", "null_sender"] as const;
    const actual = Object.fromEntries(counters.map((c) => [c, Number(row![c])]));
    expect(actual, `${kind} ${identity}`).toEqual(Object.fromEntries(counters.map((c) => [c, expected[c] ?? 0])));
    if (expected.deferred !== undefined) expect(Number(row!.deferred), `${kind} ${identity} deferred attempts`).toBeGreaterThanOrEqual(expected.deferred);
  };

  it("stores Postfix windows with the exact counts and identities of the traffic", async () => {
    const rows = await waitFor(
      "Postfix windows",
      async () => {
        const r = await totals("pf-host");
        const done = r.some((x) => x.identity_kind === "script") && r.some((x) => x.identity === "<>") && r.some((x) => x.identity === "127.0.0.63");
        return done ? r : undefined;
      },
      30_000,
      500,
    );
    expectIdentity(rows, "sasl_user", "alice", { received: 1, delivered: 1, deferred: 2, auth_successes: 1 });
    expectIdentity(rows, "client_ip", "127.0.0.61", { received: 1, delivered: 1, deferred: 2, auth_successes: 1 });
    expectIdentity(rows, "sasl_user", "bob", { auth_failures: 1 });
    expectIdentity(rows, "client_ip", "127.0.0.62", { auth_failures: 1 });
    expectIdentity(rows, "client_ip", "127.0.0.63", { rejected: 1, relay_denied: 1 });
    expectIdentity(rows, "envelope_sender", "spammer@example.org", { rejected: 1, relay_denied: 1 });
    expectIdentity(rows, "client_ip", "127.0.0.64", { received: 1, bounced: 1 });
    expectIdentity(rows, "envelope_sender", "forged@example.org", { received: 1, bounced: 1 });
    expectIdentity(rows, "envelope_sender", "<>", { received: 1, null_sender: 1, deferred: 1 });
    expectIdentity(rows, "envelope_sender", "newsletter@lab.test", { received: 1, deferred: 1 });
    expectIdentity(rows, "local_user", "webuser1", { received: 1, deferred: 1 });
    expectIdentity(rows, "script", "1001:contact.php", { received: 1, deferred: 1 });
    expect(rows.filter((r) => r.identity_kind === "sasl_user").map((r) => r.identity).sort()).toEqual(["alice", "bob"]);
  });

  it("stores Exim windows with the exact counts and identities, the script directory from cwd=", async () => {
    const rows = await waitFor(
      "Exim windows",
      async () => {
        const r = await totals("ex-host");
        // The script's deferrals are logged after its arrival and may land in a later window: wait for what is asserted.
        return r.some((x) => x.identity_kind === "script" && Number(x.deferred) >= 2) && r.some((x) => x.identity === "<>") ? r : undefined;
      },
      30_000,
      500,
    );
    expectIdentity(rows, "sasl_user", "alice", { received: 1, deferred: 1, auth_successes: 1 });
    expectIdentity(rows, "sasl_user", "bob", { auth_failures: 1 });
    expectIdentity(rows, "client_ip", "127.0.0.72", { auth_failures: 1 });
    expectIdentity(rows, "client_ip", "127.0.0.73", { rejected: 1, relay_denied: 1 });
    expectIdentity(rows, "envelope_sender", "forged@example.org", { received: 1, bounced: 1 });
    expectIdentity(rows, "envelope_sender", "<>", { received: 1, null_sender: 1, deferred: 1 });
    expectIdentity(rows, "local_user", "webuser1", { received: 1, deferred: 2 });
    expectIdentity(rows, "script", "/home/webuser1/public_html/shop/includes", { received: 1, deferred: 2 });
    // Exim's own re-executions (bounce generation, deliveries) log cwd= too; they are not scripts.
    expect(rows.filter((r) => r.identity_kind === "script").map((r) => r.identity)).toEqual(["/home/webuser1/public_html/shop/includes"]);
  });

  it("stores logins per (client IP, user) in auth_windows", async () => {
    const rows = await lab.sql<{ host_id: string; client_ip: string; username: string; f: number; s: number }>(
      `SELECT host_id, client_ip, username, sum(failures) AS f, sum(successes) AS s FROM ${lab.database}.auth_windows GROUP BY host_id, client_ip, username ORDER BY host_id, client_ip`,
    );
    expect(rows.map((r) => ({ ...r, f: Number(r.f), s: Number(r.s) }))).toEqual([
      { host_id: "ex-host", client_ip: "127.0.0.71", username: "alice", f: 0, s: 1 },
      { host_id: "ex-host", client_ip: "127.0.0.72", username: "bob", f: 1, s: 0 },
      { host_id: "pf-host", client_ip: "127.0.0.61", username: "alice", f: 0, s: 1 },
      { host_id: "pf-host", client_ip: "127.0.0.62", username: "bob", f: 1, s: 0 },
    ]);
  });

  it("counts a wrong-password login's address only in distinct_failed_client_ips, a rejected client in neither", async () => {
    const rows = await lab.sql<{ host_id: string; identity_kind: string; identity: string; windows: number; ips: number; failed: number }>(
      `SELECT host_id, identity_kind, identity, count() AS windows, max(distinct_client_ips) AS ips, sum(distinct_failed_client_ips) AS failed
       FROM ${lab.database}.mail_windows
       WHERE identity IN ('alice', 'bob', '127.0.0.61', '127.0.0.62', '127.0.0.63', '127.0.0.71', '127.0.0.72', '127.0.0.73', 'spammer@example.org')
       GROUP BY host_id, identity_kind, identity ORDER BY host_id, identity_kind, identity`,
    );
    const got = rows.map((r) => ({ at: `${r.host_id} ${r.identity_kind} ${r.identity}`, ips: Number(r.ips), failed: Number(r.failed) }));
    // Per host: the authenticated sender (.x1), the wrong password (.x2), the refused relay attempt (.x3) and its sender.
    const expected = (host: string, net: number) => [
      { at: `${host} client_ip 127.0.0.${net}1`, ips: 1, failed: 0 },
      { at: `${host} client_ip 127.0.0.${net}2`, ips: 0, failed: 1 },
      { at: `${host} client_ip 127.0.0.${net}3`, ips: 0, failed: 0 },
      { at: `${host} envelope_sender spammer@example.org`, ips: 0, failed: 0 },
      { at: `${host} sasl_user alice`, ips: 1, failed: 0 },
      { at: `${host} sasl_user bob`, ips: 0, failed: 1 },
    ];
    expect(got).toEqual([...expected("ex-host", 7), ...expected("pf-host", 6)]);
  });

  it("snapshots both queues with the deferred messages and the bounce", async () => {
    type Snapshot = { host_id: string; total: number; by_queue_names: string[]; by_queue_counts: number[]; null_sender: number; top_senders: string[] };
    // Snapshots come every second; the newest one must have seen the last submission.
    const latest = await waitFor(
      "queue snapshots holding every queued message",
      async () => {
        const rows = await lab.sql<Snapshot>(
          `SELECT host_id, total, by_queue_names, by_queue_counts, null_sender, top_senders FROM ${lab.database}.queue_snapshots ORDER BY observed_at_unix_ms DESC LIMIT 1 BY host_id`,
        );
        const total = (host: string): number => rows.find((r) => r.host_id === host)?.total ?? 0;
        return total("pf-host") >= 4 && total("ex-host") >= 3 ? rows : undefined;
      },
      20_000,
      500,
    );
    const byHost = Object.fromEntries(latest.map((q) => [q.host_id, q]));
    expect(byHost["pf-host"]).toMatchObject({ total: 4, null_sender: 1 });
    expect(byHost["pf-host"]!.by_queue_counts[byHost["pf-host"]!.by_queue_names.indexOf("deferred")]).toBe(4);
    expect([...byHost["pf-host"]!.top_senders].sort()).toEqual(["<>", "alice@lab.test", "newsletter@lab.test", "webuser1@lab.test"]);
    expect(byHost["ex-host"]).toMatchObject({ total: 3, null_sender: 1 });
    expect([...byHost["ex-host"]!.top_senders].sort()).toEqual(["<>", "alice@exim.test", "webuser1@exim.test"]);
  });

  it("recognises every line the real MTAs wrote and reports the MTA in hosts", async () => {
    const stats = await lab.sql<{ host_id: string; lines: number; unrecognised: number }>(
      `SELECT host_id, sum(lines) AS lines, sum(unrecognised) AS unrecognised FROM ${lab.database}.log_read_stats GROUP BY host_id ORDER BY host_id`,
    );
    expect(stats.map((s) => s.host_id)).toEqual(["ex-host", "pf-host"]);
    for (const s of stats) {
      expect(Number(s.lines)).toBeGreaterThan(30);
      expect(Number(s.unrecognised)).toBe(0);
    }
    const hosts = await lab.sql<{ host_id: string; mta_kind: string; mta_log_paths: string[] }>(`SELECT host_id, mta_kind, mta_log_paths FROM ${lab.database}.hosts FINAL ORDER BY host_id`);
    expect(hosts).toEqual([
      { host_id: "ex-host", mta_kind: "exim", mta_log_paths: [exim.logPath] },
      { host_id: "pf-host", mta_kind: "postfix", mta_log_paths: [postfix.logPath] },
    ]);
  });
});
