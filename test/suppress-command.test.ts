import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliToEnd } from "./setup/cli-process.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";

// `spamtrace suppress list|add|remove` as the abuse team runs it, against a
// running collector: with the embedded engine the writes go through its admin
// endpoint, against a ClickHouse server straight to the table. The collector
// config's own suppression is listed beside the table's.
describe.each(["embedded", "server"] as const)("spamtrace suppress on the %s store", (kind) => {
  let server: ClickHouseServer | undefined;
  let lab: Lab;
  let elsewhere: string;
  const cli = (...args: string[]) => runCliToEnd("spamtrace", ["suppress", ...args, "--config", lab.collectorConfigFile], { cwd: elsewhere });
  const list = async (...extra: string[]): Promise<{ id: string; source: string; rule: string; scope: string; value: string; reason: string; expires: string }[]> => {
    const r = await cli("list", "--json", ...extra);
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout) as never;
  };

  beforeAll(async () => {
    if (kind === "server") server = await startClickHouseServer();
    lab = await makeLab({
      store: server ?? "embedded",
      probeHostIds: [],
      ports: [await freePort()],
      collectorExtra: { suppressions: [{ rule: "compromised-account", scope: "cidr", value: "198.51.100.0/24", expires: "2099-01-01", reason: "office NAT (ticket 12)" }] },
    });
    await lab.startCollector();
    elsewhere = await mkdtemp(join(tmpdir(), "spamtrace-abuse-desk-"));
  }, 180_000);

  afterAll(async () => {
    await lab?.close();
    await server?.stop();
    if (elsewhere) await rm(elsewhere, { recursive: true, force: true });
  });

  it("adds, lists and removes suppressions of each scope", async () => {
    const before = Date.now();
    const added = await Promise.all([
      cli("add", "--rule", "compromised-account", "--identity", "News@Club.example", "--expires", "30d", "--reason", "club newsletter", "--by", "abuse-desk"),
      cli("add", "--rule", "*", "--host", "app1", "--expires", "2099-06-30T12:00:00Z", "--reason", "application server in mynetworks"),
      cli("add", "--rule", "compromised-account", "--cidr", "203.0.113.7", "--expires", "12h", "--reason", "VPN exit"),
    ]);
    for (const r of added) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^sup-[0-9a-f]{8}\n$/);
    }
    const [news, app, vpn] = added.map((r) => r.stdout.trim());
    const listed = await list();
    // Config ones first, then the table's by expiry.
    expect(listed.map((s) => [s.id, s.source, s.rule, s.scope, s.value, s.reason])).toEqual([
      ["cfg:0", "config", "compromised-account", "cidr", "198.51.100.0/24", "office NAT (ticket 12)"],
      [vpn, "table", "compromised-account", "cidr", "203.0.113.7/32", "VPN exit"],
      [news, "table", "compromised-account", "identity", "news@club.example", "club newsletter"],
      [app, "table", "*", "host", "app1", "application server in mynetworks"],
    ]);
    const newsExpiry = Date.parse(listed.find((s) => s.id === news)!.expires);
    expect(newsExpiry).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(newsExpiry).toBeLessThan(Date.now() + 30 * 86_400_000 + 1000);

    const removed = await cli("remove", news!);
    expect([removed.code, removed.stdout]).toEqual([0, `removed ${news}\n`]);
    expect((await list()).map((s) => s.id).sort()).toEqual(["cfg:0", app, vpn].sort());
    const table = await cli("list");
    expect(table.stdout).toMatch(/^ID\s+RULE\s+SCOPE\s+VALUE\s+EXPIRES \(UTC\)\s+REASON\n/);
    expect(table.stdout).toContain("application server in mynetworks");
  });

  it.each<[string, string[], RegExp]>([
    ["two scopes", ["add", "--rule", "backscatter", "--host", "a", "--identity", "b", "--expires", "1d", "--reason", "why not"], /exactly one of --host, --identity, --cidr/],
    ["a bad range", ["add", "--rule", "backscatter", "--cidr", "10.0.0.0/40", "--expires", "1d", "--reason", "why not"], /--cidr: must be an IP address or CIDR/],
    ["an unknown rule", ["add", "--rule", "spam", "--host", "a", "--expires", "1d", "--reason", "why not"], /--rule spam must be "\*" or one of compromised-account/],
    ["an expiry in the past", ["add", "--rule", "backscatter", "--host", "a", "--expires", "2020-01-01", "--reason", "why not"], /--expires 2020-01-01 is in the past/],
    ["a config suppression", ["remove", "cfg:0"], /lives in the collector config \(suppressions\[0\]\)/],
    ["an unknown id", ["remove", "sup-00000000"], /no current suppression sup-00000000/],
  ])("refuses %s", async (_name, args, message) => {
    const r = await cli(...args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
