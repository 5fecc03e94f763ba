// Every detection rule against a real ClickHouse 18.16 server and the
// embedded engine: the fleet's data is written the way the collector writes
// it (BatchWriter, windows built by the shared log parsers from MTA log
// lines), one detection run evaluates all scenarios at once, and each rule
// must fire with the right subject while its look-alike stays silent.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDetectContext } from "../collector/detect/detect-context.js";
import { detectConfigSchema } from "../collector/detect/detect-config.js";
import { buildDetectors } from "../collector/detect/detectors.js";
import type { Finding } from "../collector/vocabulary/finding.js";
import { loadFleetHosts } from "../collector/detect/fleet-hosts.js";
import { EXIM_BINARIES, FleetSimulator } from "../collector/detect/fleet-simulator.test-support.js";
import { eximScriptSubmission, postfixAuthFailure, postfixBounce, postfixMessage, postfixRelayDenied } from "../collector/detect/mta-log-lines.test-support.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { ALERTS_MIGRATION } from "../collector/store/clickhouse/migrations-alerts.js";
import { ServerStore } from "../collector/store/clickhouse/server-store.js";
import type { ClickHouseStore } from "../collector/store/clickhouse/store.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Writes every scenario's data, as of `now`. */
async function writeFleet(sim: FleetSimulator, now: number): Promise<void> {
  const hosts = ["mx-a", "mx-b", "mx-c", "mx-d", "mx-e", "relay-open", "relay-closed", "web-1", "web-2", "mx-f", "mx-g", "mx-h", "mx-i"];
  for (const [n, hostId] of hosts.entries()) await sim.host({ hostId, ipAddresses: [`198.51.100.${10 + n}`] });
  await sim.host({ hostId: "web-3", ipAddresses: ["198.51.100.40"], mtaKind: "exim", mtaBinaryPaths: EXIM_BINARIES });

  // compromised-account / volume. History: alice sends a few messages now and then; bob sends 100 a minute for an hour every day.
  const history = [];
  for (let day = 1; day <= 6; day++) {
    for (let m = 0; m < 10; m++) history.push({ atMs: now - day * DAY + m * 7 * MINUTE, identityKind: "sasl_user", identity: "alice@example.org", received: 3, delivered: 3, distinctRecipientDomains: 2 });
    for (let m = 0; m < 60; m++) history.push({ atMs: now - day * DAY + m * MINUTE, identityKind: "sasl_user", identity: "bob@example.org", received: 100, delivered: 100, distinctRecipientDomains: 3 });
  }
  await sim.mailWindows("mx-a", history);
  const burst: string[] = [];
  const aliceIps = ["203.0.113.5", "203.0.113.6", "198.18.7.7", "192.0.2.9"];
  for (let minute = 4; minute >= 1; minute--) {
    for (let i = 0; i < 60; i++) {
      burst.push(...postfixMessage({ atMs: now - minute * MINUTE + i * 500, clientIp: aliceIps[i % 4]!, saslUser: "alice@example.org", from: "ceo@bank.example", to: [`user${i}@victim${minute}-${i}.example`], outcome: "remote-deferred" }));
    }
    for (let i = 0; i < 100; i++) {
      burst.push(...postfixMessage({ atMs: now - minute * MINUTE + i * 300, clientIp: "203.0.113.20", saslUser: "bob@example.org", from: "bob@example.org", to: [`c${i % 5}@customer.example`], outcome: "remote-sent" }));
    }
  }
  for (let i = 0; i < 20; i++) burst.push(...postfixMessage({ atMs: now - 2 * MINUTE + i * 1000, clientIp: "203.0.113.40", saslUser: "carol@example.org", from: "carol@example.org", to: [`friend${i}@f${i}.example`], outcome: "remote-sent" }));
  await sim.logLines("mx-a", burst, now);

  // compromised-account / auth-burst-then-success: 12 failures from one IP, then it logs in as victim@ and sends.
  const takeover: string[] = [];
  for (let i = 0; i < 12; i++) takeover.push(postfixAuthFailure(now - 4 * MINUTE + i * 10_000, "203.0.113.66", ["admin", "info@example.net", "victim@example.net"][i % 3]!));
  takeover.push(...postfixMessage({ atMs: now - MINUTE, clientIp: "203.0.113.66", saslUser: "victim@example.net", from: "victim@example.net", to: ["x@far.example"], outcome: "remote-deferred" }));
  await sim.logLines("mx-b", takeover, now);

  // auth-bruteforce: 30 failures from one IP (fires); 3 from a user with a stale password (silent).
  const brute: string[] = [];
  for (let i = 0; i < 30; i++) brute.push(postfixAuthFailure(now - 5 * MINUTE + i * 8_000, "198.51.100.99", `user${i % 7}@example.com`));
  for (let i = 0; i < 3; i++) brute.push(postfixAuthFailure(now - 3 * MINUTE + i * 60_000, "198.51.100.100", "dave@example.com"));
  await sim.logLines("mx-c", brute, now);

  // compromised-account / fleet-client-ip: one IP fails 6 logins, then logs in as two users on two hosts that had
  // only ever logged in from elsewhere (fires); another logs in as two users on two hosts and nothing else (a shared
  // NAT: silent); another logs in as the same user on both (IMAP and SMTP front ends: silent); webmail on loopback
  // logs in as everyone (silent).
  await sim.authWindows("mx-d", [
    ...["u1@d.example", "u2@e.example"].map((username) => ({ atMs: now - 3 * DAY, clientIp: "198.18.0.9", username, successes: 1, services: ["imap"] })),
    { atMs: now - 4 * MINUTE, clientIp: "192.0.2.200", username: "admin@d.example", failures: 6, services: ["submission"] },
    { atMs: now - 3 * MINUTE, clientIp: "192.0.2.200", username: "u1@d.example", successes: 2, services: ["submission"], sampleLines: ["u1 login from 192.0.2.200"] },
    { atMs: now - 3 * MINUTE, clientIp: "192.0.2.202", username: "u4@d.example", successes: 1, services: ["submission"] },
    { atMs: now - 3 * MINUTE, clientIp: "192.0.2.201", username: "u3@d.example", successes: 1, services: ["imap"] },
    ...["w1", "w2", "w3", "w4", "w5"].map((u) => ({ atMs: now - 2 * MINUTE, clientIp: "127.0.0.1", username: `${u}@d.example`, successes: 1, services: ["imap"] })),
  ]);
  await sim.authWindows("mx-e", [
    { atMs: now - 2 * MINUTE, clientIp: "192.0.2.200", username: "u2@e.example", successes: 1, services: ["submission"], sampleLines: ["u2 login from 192.0.2.200"] },
    { atMs: now - 2 * MINUTE, clientIp: "192.0.2.201", username: "u3@d.example", successes: 1, services: ["submission"] },
    { atMs: now - 2 * MINUTE, clientIp: "192.0.2.202", username: "u5@e.example", successes: 1, services: ["submission"] },
  ]);

  // open-relay: an unauthenticated outside client's mail handed to remote delivery (fires); the same client's
  // mail for local users and refused relay attempts on a closed relay (silent).
  const relay: string[] = [];
  for (let i = 0; i < 5; i++) relay.push(...postfixMessage({ atMs: now - 2 * MINUTE + i * 1000, clientIp: "203.0.113.250", from: "spammer@forged.example", to: [`r${i}@outside${i}.example`], outcome: "remote-deferred", service: "smtpd" }));
  await sim.logLines("relay-open", relay, now);
  const closed: string[] = [];
  for (let i = 0; i < 5; i++) closed.push(...postfixMessage({ atMs: now - 2 * MINUTE + i * 1000, clientIp: "203.0.113.251", from: "news@sender.example", to: [`user${i}@relay-closed.example`], outcome: "local", service: "smtpd" }));
  for (let i = 0; i < 5; i++) closed.push(postfixRelayDenied(now - 2 * MINUTE + i * 1000, "203.0.113.251", `r${i}@outside${i}.example`));
  await sim.logLines("relay-closed", closed, now);
  await sim.sockets("relay-open", now - MINUTE, [{ direction: "inbound", localAddress: "198.51.100.15", localPort: 25, remoteAddress: "203.0.113.250", remotePort: 51000, pid: 3000, user: "postfix", comm: "smtpd", exe: "/usr/lib/postfix/sbin/smtpd" }]);

  // direct-to-mx: a spam tool calling itself sendmail in /tmp (fires), the same binary on web-2 (fleet), Postfix's own
  // smtp client (silent), PHP talking to the local MTA (silent), a process talking to a fleet host (silent).
  await sim.sockets("web-1", now - MINUTE, [
    { direction: "outbound", remoteAddress: "192.0.2.25", remotePort: 25, pid: 777, ppid: 1, user: "www-data", comm: "sendmail", argv: ["sendmail", "-bd"], exe: "/tmp/.x/sendmail", cwd: "/tmp/.x", exeSha256: "abc123" },
    { direction: "outbound", remoteAddress: "192.0.2.26", remotePort: 25, pid: 777, ppid: 1, user: "www-data", comm: "sendmail", argv: ["sendmail", "-bd"], exe: "/tmp/.x/sendmail", cwd: "/tmp/.x", exeSha256: "abc123" },
    { direction: "outbound", remoteAddress: "192.0.2.27", remotePort: 25, pid: 555, ppid: 500, user: "postfix", comm: "smtp", argv: ["smtp", "-t", "unix"], exe: "/usr/lib/postfix/sbin/smtp", cwd: "/var/spool/postfix", exeSha256: "postfixsha" },
    { direction: "outbound", remoteAddress: "127.0.0.1", remotePort: 25, pid: 901, user: "www-data", comm: "php-fpm8.2", exe: "/usr/sbin/php-fpm8.2", cwd: "/var/www" },
  ]);
  await sim.sockets("web-2", now - MINUTE, [
    { direction: "outbound", remoteAddress: "192.0.2.28", remotePort: 25, pid: 4321, user: "bob", comm: "smtpd", argv: ["smtpd"], exe: "/home/bob/.cache/smtpd", cwd: "/home/bob", exeSha256: "abc123", exeDeleted: true },
    { direction: "outbound", remoteAddress: "198.51.100.10", remotePort: 25, pid: 950, user: "nagios", comm: "check_smtp", exe: "/usr/lib/nagios/plugins/check_smtp", cwd: "/" },
  ]);

  // web-script: a script in a home folder sends 40 messages (fires, named by path); a contact form sends 5 (silent).
  const scripts: string[] = [];
  for (let i = 0; i < 40; i++) scripts.push(...eximScriptSubmission(now - 3 * MINUTE + i * 3000, { cwd: "/home/u1/public_html/wp-content/uploads/x", user: "u1", to: `t${i}@target${i}.example` }));
  for (let i = 0; i < 5; i++) scripts.push(...eximScriptSubmission(now - 3 * MINUTE + i * 3000, { cwd: "/var/www/site2/contact", user: "site2", to: `owner@site2.example` }));
  await sim.logLines("web-3", scripts, now);

  // backscatter: 30 bounces to forged outside senders (fires); 30 inbound bounces for local users (silent).
  const bounces: string[] = [];
  for (let i = 0; i < 30; i++) bounces.push(...postfixBounce(now - 3 * MINUTE + i * 4000, `forged${i}@victim${i % 6}.example`, "remote-deferred"));
  for (let i = 0; i < 20; i++) bounces.push(...postfixMessage({ atMs: now - 3 * MINUTE + i * 4000, clientIp: "203.0.113.80", from: "news@list.example", to: [`u${i}@mx-f.example`], outcome: "local", service: "smtpd" }));
  await sim.logLines("mx-f", bounces, now);
  const inboundDsn: string[] = [];
  for (let i = 0; i < 30; i++) inboundDsn.push(...postfixMessage({ atMs: now - 3 * MINUTE + i * 4000, clientIp: "203.0.113.90", from: "", to: [`u${i % 3}@mx-g.example`], outcome: "local", service: "smtpd" }));
  await sim.logLines("mx-g", inboundDsn, now);

  // queue-surge: a queue of ~100 jumps to 2000 mostly deferred (fires); one that always holds ~3000 (silent).
  for (let day = 1; day <= 6; day++) {
    for (let h = 0; h < 8; h++) {
      await sim.queue("mx-h", now - day * DAY + h * 3_600_000, { total: 80 + h * 5, byQueue: { active: 10, deferred: 70 + h * 5 } });
      await sim.queue("mx-i", now - day * DAY + h * 3_600_000, { total: 3000 + h * 20, byQueue: { active: 100, deferred: 2900 + h * 20 } });
    }
  }
  await sim.queue("mx-h", now - MINUTE, { total: 2000, byQueue: { active: 100, deferred: 1900 }, topSenders: { "ceo@bank.example": 1800 }, topRecipientDomains: { "victim.example": 300 } });
  await sim.queue("mx-i", now - MINUTE, { total: 3200, byQueue: { active: 100, deferred: 3100 }, topSenders: { "newsletter@big.example": 3000 } });

  // log-stalled: mx-j's log stopped an hour ago while its MTA keeps accepting connections (fires); mx-k's grows (silent).
  const listener = { direction: "listen" as const, localAddress: "0.0.0.0", localPort: 25, remoteAddress: "0.0.0.0", remotePort: 0, exe: "/usr/lib/postfix/sbin/master", user: "root" };
  const clients = [1, 2, 3, 4, 5, 6].map((i) => ({ direction: "inbound" as const, localPort: 25, remoteAddress: `203.0.113.${100 + i}`, remotePort: 40_000 + i, exe: "/usr/lib/postfix/sbin/smtpd", user: "postfix" }));
  for (const hostId of ["mx-j", "mx-k"]) {
    await sim.host({ hostId, ipAddresses: [hostId === "mx-j" ? "198.51.100.50" : "198.51.100.51"] });
    await sim.logStats(hostId, now - 60 * MINUTE, [{ path: "/var/log/mail.log", lines: 250 }]);
    await sim.sockets(hostId, now - 4 * MINUTE, [listener, ...clients]);
  }
  await sim.logStats("mx-k", now - 3 * MINUTE, [{ path: "/var/log/mail.log", lines: 40 }]);
}

describe.each([{ store: "embedded" as const }, { store: "clickhouse-server-18.16" as const }])("detection rules ($store)", ({ store: kind }) => {
  let dir: string;
  let server: ClickHouseServer | undefined;
  let store: ClickHouseStore;
  let findings: Finding[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-detect-"));
    const database = `detect_rules_${kind === "embedded" ? "e" : "s"}`;
    if (kind === "embedded") store = await ChdbStore.open(join(dir, "chdb"), database);
    else {
      server = await startClickHouseServer();
      store = await ServerStore.open({ url: server.url, username: "default", password: "", database, requestTimeoutMs: 30_000 });
    }
    await migrate(store, { database, retentionDays: 30 }, [...MIGRATIONS, ALERTS_MIGRATION]);
    const now = Date.now();
    await writeFleet(new FleetSimulator(store), now);
    const config = detectConfigSchema.parse({});
    // Detection runs "as of" the time the data was written for: writing takes seconds, and a 5-minute lookback
    // that moved on meanwhile would cut off the oldest minute of the burst.
    const ctx = createDetectContext(store, config, await loadFleetHosts(store), now);
    for (const detector of buildDetectors(config)) findings.push(...(await detector.detect(ctx)));
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const of = (rule: string, host?: string): Finding[] => findings.filter((f) => f.rule === rule && (host === undefined || f.hosts.includes(host)));

  it("compromised-account: a burst far above the account's baseline fires naming the account; normal volume and a new quiet account stay silent", () => {
    const hits = of("compromised-account", "mx-a");
    expect(hits.map((f) => f.subject)).toEqual(["alice@example.org"]);
    const alice = hits[0]!;
    expect(alice).toMatchObject({ scope: "host", scopeHost: "mx-a", check: "volume" });
    expect(alice.counts.messages).toBe(240);
    expect(alice.counts.baseline_p95).toBe(3);
    expect(alice.counts.client_ips).toBe(4);
    expect(alice.counts.networks).toBe(3);
    expect(alice.details.client_ips).toEqual(expect.arrayContaining(["203.0.113.5", "198.18.7.7"]));
    expect(alice.evidence.queue_ids.length).toBeGreaterThan(0);
    expect(alice.evidence.message_ids.length).toBeGreaterThan(0);
    expect(alice.evidence.sample_lines.some((l) => l.includes("sasl_username=alice@example.org") || l.includes("from=<ceo@bank.example>"))).toBe(true);
    expect(alice.evidence.rows.length).toBeGreaterThan(0);
  });

  it("compromised-account: failures from one IP then a success raise the account that logged in", () => {
    const hits = of("compromised-account", "mx-b");
    expect(hits.map((f) => [f.subject, f.check])).toEqual([["victim@example.net", "auth-burst-then-success"]]);
    expect(hits[0]!.details.client_ips).toEqual(["203.0.113.66"]);
    expect(hits[0]!.counts.failures_before_success).toBe(12);
  });

  it("compromised-account (fleet): one client IP failing, then logging in as different users on two hosts from a new address, is one fleet finding; a shared address alone is silent", () => {
    const fleet = findings.filter((f) => f.rule === "compromised-account" && f.scope === "fleet");
    expect(fleet.map((f) => [f.subject, f.hosts])).toEqual([["192.0.2.200", ["mx-d", "mx-e"]]]);
    expect(fleet[0]!.details.accounts).toEqual(["u1@d.example", "u2@e.example"]);
    expect(fleet[0]!.details.signals).toEqual(["failures-before-success", "new-address"]);
  });

  it("auth-bruteforce: many failures from one IP fire; a few from a stale password do not", () => {
    const hits = of("auth-bruteforce");
    expect(hits.map((f) => [f.subject, f.scope, f.hosts])).toEqual([["198.51.100.99", "host", ["mx-c"]]]);
    expect(hits[0]!.counts.failures).toBe(30);
    expect(hits[0]!.counts.users_tried).toBe(7);
  });

  it("open-relay: unauthenticated outside mail handed to remote delivery fires with the listener; a closed relay is silent", () => {
    const hits = of("open-relay");
    expect(hits.map((f) => f.subject)).toEqual(["relay-open"]);
    expect(hits[0]!.details.clients).toEqual(["203.0.113.250"]);
    expect(hits[0]!.details.listeners).toEqual(["198.51.100.15:25"]);
    expect(hits[0]!.counts.relayed_messages).toBe(5);
    expect(hits[0]!.evidence.sample_lines.some((l) => l.includes("postfix/smtp") && l.includes("status=deferred"))).toBe(true);
  });

  it("direct-to-mx: a /tmp exe calling itself sendmail fires with pid, exe, cwd, argv; the MTA's smtp client and local submissions are silent", () => {
    const hits = of("direct-to-mx", "web-1").filter((f) => f.scope === "host");
    expect(hits.map((f) => f.subject)).toEqual(["/tmp/.x/sendmail (user www-data)"]);
    expect(hits[0]!.details).toMatchObject({ pid: 777, exe: "/tmp/.x/sendmail", cwd: "/tmp/.x", argv: ["sendmail", "-bd"], user: "www-data", comm: "sendmail" });
    expect(hits[0]!.details.remote_addresses).toEqual(expect.arrayContaining(["192.0.2.25", "192.0.2.26"]));
    expect(hits[0]!.severityBoost).toBe(1);
    const web2 = of("direct-to-mx", "web-2").filter((f) => f.scope === "host");
    expect(web2.map((f) => f.subject)).toEqual(["/home/bob/.cache/smtpd (user bob)"]);
    expect(web2[0]!.details.reasons).toEqual(expect.arrayContaining(["exe deleted while running", "process calls itself smtpd but is not the MTA"]));
  });

  it("direct-to-mx (fleet): the same exe hash on two hosts is one fleet finding", () => {
    const fleet = findings.filter((f) => f.rule === "direct-to-mx" && f.scope === "fleet");
    expect(fleet.map((f) => [f.subject, f.hosts])).toEqual([["sha256:abc123", ["web-1", "web-2"]]]);
  });

  it("web-script: a script path above the threshold fires naming the path and its user; a contact form stays silent", () => {
    const hits = of("web-script", "web-3");
    expect(hits.map((f) => f.subject)).toEqual(["/home/u1/public_html/wp-content/uploads/x"]);
    expect(hits[0]!.counts.messages).toBe(40);
    expect(hits[0]!.details.local_users).toEqual(["u1"]);
  });

  it("backscatter: bounces to outside addresses fire; inbound bounces for local users stay silent", () => {
    const hits = of("backscatter");
    expect(hits.map((f) => f.subject)).toEqual(["mx-f"]);
    expect(hits[0]!.counts.bounces).toBe(30);
    expect(hits[0]!.counts.share_percent).toBe(60);
    expect(hits[0]!.details.top_bounce_domains).toEqual(expect.arrayContaining(["victim0.example"]));
  });

  it("queue-surge: a queue far above its baseline fires naming the top sender; a queue at its usual depth stays silent", () => {
    const hits = of("queue-surge");
    expect(hits.map((f) => f.subject)).toEqual(["mx-h"]);
    expect(hits[0]!.details.top_senders).toEqual([{ key: "ceo@bank.example", count: 1800 }]);
    expect(hits[0]!.counts.deferred_share_percent).toBe(95);
  });

  it("log-stalled: a log that stopped growing while the MTA accepts connections fires; a growing one stays silent", () => {
    const hits = of("log-stalled");
    expect(hits.map((f) => f.subject)).toEqual(["mx-j"]);
    expect(hits[0]!.counts).toMatchObject({ inbound_connections: 6, history_lines: 250 });
    expect(hits[0]!.details.log_paths).toEqual(["/var/log/mail.log"]);
  });

  it("nothing else fires", () => {
    const summary = findings.map((f) => `${f.rule} ${f.scope} ${f.subject}`).sort();
    expect(summary).toEqual(
      [
        "auth-bruteforce host 198.51.100.99",
        "backscatter host mx-f",
        "compromised-account fleet 192.0.2.200",
        "compromised-account host alice@example.org",
        "compromised-account host victim@example.net",
        "direct-to-mx fleet sha256:abc123",
        "direct-to-mx host /home/bob/.cache/smtpd (user bob)",
        "direct-to-mx host /tmp/.x/sendmail (user www-data)",
        "log-stalled host mx-j",
        "open-relay host relay-open",
        "queue-surge host mx-h",
        "web-script host /home/u1/public_html/wp-content/uploads/x",
      ].sort(),
    );
  });
});
