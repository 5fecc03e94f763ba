import { describe, expect, it } from "vitest";
import { baselineKey } from "../baseline.js";
import type { FleetHost } from "../fleet-hosts.js";
import type { QueueSnapshot } from "../queue-snapshots.js";
import { evaluateBackscatter, type BounceTotals } from "./backscatter.js";
import { evaluateDirectToMx, fleetDirectToMx, type OutboundProcess } from "./direct-to-mx.js";
import { evaluateOpenRelay } from "./open-relay.js";
import { evaluateQueueSurge } from "./queue-surge.js";
import { evaluateWebScripts } from "./web-script.js";
import { RULES, isFleetAddress, totals } from "./rule-fixtures.test-support.js";

const REMOTE = "Nov 29 07:04:11 mail postfix/smtp[13966]: AB12: to=<a@victim1.example>, relay=none, delay=0.52, dsn=4.4.1, status=deferred (connect to x[192.0.2.1]:25: Connection refused)";
const LOCAL = "Nov 29 07:06:02 mail postfix/local[13969]: CD34: to=<u@mx1.example>, relay=local, delay=0.1, dsn=2.0.0, status=sent (delivered to mailbox)";
const FORWARD = "Nov 29 07:06:01 mail postfix/smtp[1]: 9A8B: to=<someone@gmail.example>, orig_to=<info@mx1.example>, relay=gmail-smtp-in.l.google.com[192.0.2.9]:25, delay=1, dsn=2.0.0, status=sent (250 ok)";
const FILTER = "Nov 29 08:00:01 mail postfix/smtp[2005]: EF56: to=<v9@far.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1.2, dsn=2.0.0, status=sent (250 queued)";

describe("evaluateOpenRelay", () => {
  const config = RULES.openRelay;
  it.each<{ name: string; ip?: string; received?: number; authSuccesses?: number; lines: string[]; fires: boolean }>([
    { name: "unauthenticated outside client, remote delivery", lines: [REMOTE], fires: true },
    { name: "unauthenticated outside client, local delivery only (inbound mail)", lines: [LOCAL], fires: false },
    { name: "hop to a content filter is not remote delivery", lines: [FILTER], fires: false },
    { name: "inbound mail forwarded by an alias to an outside mailbox", lines: [FORWARD], fires: false },
    { name: "the client authenticated (a mail client, not a relay abuser)", authSuccesses: 2, lines: [REMOTE], fires: false },
    { name: "loopback client (webmail, re-injection)", ip: "127.0.0.1", lines: [REMOTE], fires: false },
    { name: "deliveries without received mail in the lookback", received: 0, lines: [REMOTE], fires: false },
  ])("$name → $fires", ({ ip, received, authSuccesses, lines, fires }) => {
    const found = evaluateOpenRelay(
      [totals({ hostId: "mx1", kind: "client_ip", identity: ip ?? "203.0.113.250", received: received ?? 3, authSuccesses: authSuccesses ?? 0, deferred: 3, lines, queueIds: ["AB12"] })],
      config,
      isFleetAddress,
    );
    expect(found.map((f) => [f.rule, f.subject])).toEqual(fires ? [["open-relay", "mx1"]] : []);
    if (fires) expect(found[0]!.details).toMatchObject({ clients: ["203.0.113.250"], recipient_domains: ["victim1.example"] });
  });
});

describe("evaluateDirectToMx", () => {
  const config = RULES.directToMx;
  const fleet = new Map<string, FleetHost>([["web1", { hostId: "web1", hostname: "web1", ipAddresses: ["198.51.100.10"], mtaKind: "postfix", mtaBinaryPaths: ["/usr/lib/postfix/sbin/smtp", "/usr/sbin/sendmail"] }]]);
  const p = (over: Partial<OutboundProcess>): OutboundProcess => ({
    hostId: "web1", pid: 10, ppid: 1, user: "www-data", comm: "php", argv: ["php", "x.php"], exe: "/usr/bin/php8.2", exeDeleted: false, cwd: "/var/www", exeSha256: "",
    remotes: ["192.0.2.25"], remotePorts: [25], sockets: 1, firstMs: 0, lastMs: 1000, ...over,
  });
  it.each<{ name: string; proc: Partial<OutboundProcess>; fires: boolean; boost?: number }>([
    { name: "a script interpreter talking to an MX", proc: {}, fires: true, boost: 0 },
    { name: "the MTA's own smtp client", proc: { exe: "/usr/lib/postfix/sbin/smtp", comm: "smtp", user: "postfix" }, fires: false },
    { name: "the MTA's smtp client after an upgrade deleted its exe", proc: { exe: "/usr/lib/postfix/sbin/smtp", comm: "smtp", exeDeleted: true }, fires: false },
    { name: "a tool in /tmp calling itself sendmail", proc: { exe: "/tmp/.x/sendmail", comm: "sendmail" }, fires: true, boost: 1 },
    { name: "an exe in /dev/shm", proc: { exe: "/dev/shm/x" }, fires: true, boost: 1 },
    { name: "a deleted exe", proc: { exeDeleted: true }, fires: true, boost: 1 },
    { name: "a process named exim4 outside the MTA's binaries", proc: { exe: "/usr/local/bin/exim4", comm: "exim4" }, fires: true, boost: 1 },
    { name: "talking to the local MTA", proc: { remotes: ["127.0.0.1"] }, fires: false },
    { name: "talking to another fleet host (the provider's relay)", proc: { remotes: ["198.51.100.10"] }, fires: false },
  ])("$name → $fires", ({ proc, fires, boost }) => {
    const found = evaluateDirectToMx([p(proc)], config, fleet, isFleetAddress);
    expect(found.length).toBe(fires ? 1 : 0);
    if (fires) expect(found[0]!.severityBoost).toBe(boost);
  });
  it("respects allowedExecutables and allowedRemoteNetworks", () => {
    const cfg = { ...config, allowedExecutables: ["/usr/lib/nagios/plugins/check_smtp"], allowedRemoteNetworks: ["192.0.2.0/24"] };
    expect(evaluateDirectToMx([p({ exe: "/usr/lib/nagios/plugins/check_smtp", remotes: ["203.0.113.1"] }), p({})], cfg, fleet, isFleetAddress)).toEqual([]);
  });
  it("groups the pids of one exe and user into one finding naming the newest process", () => {
    const [f, ...rest] = evaluateDirectToMx([p({ pid: 1, lastMs: 1000 }), p({ pid: 2, lastMs: 5000, remotes: ["192.0.2.26"] })], config, fleet, isFleetAddress);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ subject: "/usr/bin/php8.2 (user www-data)", details: { pid: 2, pids: [2, 1], remote_addresses: ["192.0.2.26", "192.0.2.25"] } });
  });
  it("the same hash on two hosts is also a fleet finding", () => {
    const host = evaluateDirectToMx(
      [p({ exe: "/tmp/a", exeSha256: "ff" }), p({ hostId: "web2", exe: "/var/tmp/b", exeSha256: "ff" }), p({ hostId: "web3", exe: "/tmp/c", exeSha256: "ee" })],
      config,
      fleet,
      isFleetAddress,
    );
    expect(fleetDirectToMx(host, config).map((f) => [f.subject, f.hosts])).toEqual([["sha256:ff", ["web1", "web2"]]]);
  });
});

describe("evaluateWebScripts", () => {
  const config = RULES.webScript;
  it("fires above the minimum and folds the local user sharing its queue ids into the script", () => {
    const found = evaluateWebScripts(
      [
        totals({ hostId: "w1", kind: "script", identity: "/home/u1/public_html/x", received: 40, queueIds: ["Q1", "Q2"] }),
        totals({ hostId: "w1", kind: "local_user", identity: "u1", received: 40, queueIds: ["Q2"] }),
        totals({ hostId: "w1", kind: "script", identity: "/var/www/contact", received: 12 }),
      ],
      new Map(),
      config,
    );
    expect(found.map((f) => [f.subject, f.check, f.details.local_users])).toEqual([["/home/u1/public_html/x", "script", ["u1"]]]);
  });
  it("a user without a script fires by itself; a script at its usual level does not", () => {
    const found = evaluateWebScripts(
      [totals({ hostId: "w1", kind: "local_user", identity: "uid:1001", received: 35 }), totals({ hostId: "w1", kind: "script", identity: "/var/www/news", received: 300 })],
      new Map([[`script\u0000${baselineKey("w1", "/var/www/news")}`, { p95: 250, buckets: 300 }]]),
      config,
    );
    expect(found.map((f) => f.subject)).toEqual(["uid:1001"]);
  });
  it("the same script path on two hosts is a fleet finding", () => {
    const found = evaluateWebScripts(
      [totals({ hostId: "w1", kind: "script", identity: "/wp-content/x.php", received: 12 }), totals({ hostId: "w2", kind: "script", identity: "/wp-content/x.php", received: 15 })],
      new Map(),
      config,
    );
    expect(found.map((f) => [f.scope, f.subject, f.hosts, f.counts.messages])).toEqual([["fleet", "/wp-content/x.php", ["w1", "w2"], 27]]);
  });
});

describe("evaluateBackscatter", () => {
  const config = RULES.backscatter;
  const bounce = (over: Partial<BounceTotals>): BounceTotals => ({ hostId: "mx1", receivedAll: 50, bounces: 30, delivered: 0, deferred: 30, bounced: 0, firstMs: 0, lastMs: 60_000, lines: [REMOTE], queueIds: [], messageIds: [], acceptedBounced: 0, causeLines: [], causeSenders: [], ...over });
  const UNKNOWN_LOCAL = 'Dec  7 05:10:01 lab postfix/local[9]: 4A1B2C3D4E: to=<nosuch3@lab.test>, relay=local, delay=0.1, dsn=5.1.1, status=bounced (unknown user: "nosuch3")';
  const EXIM_UNROUTEABLE = "2026-12-07 05:10:01.123 [77] 1wAbCd-000123-AB ** nosuch4@exim.test: Unrouteable address";
  const SUSPENDED = "Dec 07 05:59:53 mail postfix/error[18406]: 59890186473: to=<forged2@victim2.example>, relay=none, delay=1, delays=0.34/0.7/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:35315: Connection refused)";
  const QMGR_NDR = "Dec  7 05:10:02 lab postfix/qmgr[9]: 6C1B2C3D4E: from=<>, size=2765, nrcpt=1 (queue active)";
  const REMOTE_BOUNCE = "Dec  7 05:10:01 lab postfix/smtp[9]: 5B1B2C3D4E: to=<gone@far.example>, relay=mx.far.example[192.0.2.7]:25, dsn=5.1.1, status=bounced (host said: 550 5.1.1 user unknown)";
  const run = (t: BounceTotals[], snapshots: QueueSnapshot[] = []) => evaluateBackscatter({ totals: t, baselines: new Map(), snapshots, queueBaselines: new Map(), config, filterRelayPorts: [10024] });
  it.each<{ name: string; t: Partial<BounceTotals>; fires: boolean }>([
    { name: "bounces to outside addresses", t: {}, fires: true },
    { name: "bounces delivered locally (inbound DSNs)", t: { lines: [LOCAL] }, fires: false },
    { name: "a small share of the mail", t: { receivedAll: 200 }, fires: false },
    { name: "too few", t: { bounces: 20, receivedAll: 30 }, fires: false },
    { name: "a spam wave hides the share, but the cause shows: accepted mail bounced as unknown local users (Postfix)", t: { receivedAll: 400, acceptedBounced: 30, causeLines: [UNKNOWN_LOCAL] }, fires: true },
    { name: "the same cause on Exim (accepted for the domain, routing failed)", t: { receivedAll: 400, acceptedBounced: 30, causeLines: [EXIM_UNROUTEABLE] }, fires: true },
    { name: "the cause explains too few of the bounces", t: { receivedAll: 400, acceptedBounced: 5, causeLines: [UNKNOWN_LOCAL] }, fires: false },
    { name: "outside servers refusing our users' mail is not the cause", t: { receivedAll: 400, acceptedBounced: 30, causeLines: [REMOTE_BOUNCE] }, fires: false },
    { name: "the cause, but the NDRs stay local", t: { receivedAll: 400, acceptedBounced: 30, causeLines: [UNKNOWN_LOCAL], lines: [LOCAL] }, fires: false },
    { name: "NDRs deferred by Postfix's error agent once the next hop is marked dead are remote", t: { receivedAll: 400, acceptedBounced: 30, causeLines: [UNKNOWN_LOCAL], lines: [SUSPENDED] }, fires: true },
    { name: "no NDR delivery among the samples: the bounced mail's outside senders say where the NDRs go", t: { receivedAll: 400, acceptedBounced: 30, causeLines: [UNKNOWN_LOCAL], causeSenders: ["forged1@victim1.example"], lines: [QMGR_NDR] }, fires: true },
    { name: "no NDR delivery among the samples, senders in the local domain: silent", t: { receivedAll: 400, acceptedBounced: 30, causeLines: [UNKNOWN_LOCAL], causeSenders: ["webuser1@lab.test"], lines: [QMGR_NDR] }, fires: false },
  ])("$name → $fires", ({ t, fires }) => {
    expect(run([bounce(t)]).map((f) => f.subject)).toEqual(fires ? ["mx1"] : []);
  });
  it("a queue full of bounces fires and joins the log finding of the same host", () => {
    const snapshot: QueueSnapshot = { hostId: "mx1", atMs: 0, mta: "postfix", total: 300, deferred: 280, frozenOrHeld: 0, oldestAgeSeconds: 60, nullSender: 250, byQueue: { deferred: 280 }, topSenders: [], topRecipientDomains: [{ key: "victim.example", count: 200 }] };
    expect(run([bounce({})], [snapshot]).map((f) => [f.check, f.counts.queue_null_sender])).toEqual([["log+queue", 250]]);
    expect(run([], [snapshot]).map((f) => f.check)).toEqual(["queue"]);
    expect(run([], [{ ...snapshot, total: 1000 }])).toEqual([]);
  });
});

describe("evaluateQueueSurge", () => {
  const config = RULES.queueSurge;
  const snap = (over: Partial<QueueSnapshot>): QueueSnapshot => ({ hostId: "mx1", atMs: 0, mta: "postfix", total: 2000, deferred: 1900, frozenOrHeld: 0, oldestAgeSeconds: 600, nullSender: 0, byQueue: {}, topSenders: [{ key: "s@x", count: 1800 }], topRecipientDomains: [], ...over });
  const base = (total: number, deferred: number) => new Map([["mx1", { total: { p95: total, buckets: 50 }, deferred: { p95: deferred, buckets: 50 }, nullSender: { p95: 0, buckets: 50 } }]]);
  it.each<{ name: string; s: Partial<QueueSnapshot>; baseline?: ReturnType<typeof base>; checks: string[] | null; boost?: number }>([
    { name: "a surge on a host without history", s: {}, checks: ["depth", "deferred-share"], boost: 0 },
    { name: "a surge far above the usual depth", s: {}, baseline: base(100, 80), checks: ["depth", "deferred-share"] },
    { name: "the usual depth of a busy host", s: { total: 3200, deferred: 3100 }, baseline: base(3000, 2900), checks: null },
    { name: "small queue", s: { total: 300, deferred: 290 }, checks: null },
    { name: "mostly deferred above its deferred baseline, depth at its usual level", s: { total: 900, deferred: 880 }, baseline: base(800, 100), checks: ["deferred-share"] },
    { name: "a very old message alone: low severity", s: { total: 20, deferred: 1, oldestAgeSeconds: 600_000 }, checks: ["oldest-age"], boost: -1 },
  ])("$name", ({ s, baseline, checks, boost }) => {
    const found = evaluateQueueSurge([snap(s)], baseline ?? new Map(), config);
    if (checks === null) return expect(found).toEqual([]);
    expect(found[0]!.details.checks).toEqual(checks);
    if (boost !== undefined) expect(found[0]!.severityBoost).toBe(boost);
  });
});
