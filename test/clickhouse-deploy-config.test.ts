import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCollectorConfig } from "../collector/config/collector-config.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

// deploy/clickhouse/ as shipped: the single-node files on a real ClickHouse
// 18.16 (the collector runs as `spamtrace`, Grafana's user is read-only and
// limited), and the cluster layout consistent with the collector's config.

const DEPLOY = fileURLToPath(new URL("../deploy/clickhouse/", import.meta.url));
const read = (file: string): string => readFileSync(join(DEPLOY, file), "utf8");
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

describe("deploy/clickhouse/single-node on ClickHouse 18.16", () => {
  let server: ClickHouseServer;
  let lab: Lab;
  const passwords = { collector: "collector-secret", grafana: "grafana-secret" };

  const asUser = async (user: string, password: string, query: string): Promise<{ ok: boolean; text: string }> => {
    const response = await fetch(`${server.url}/?database=spamtrace`, { method: "POST", headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` }, body: query });
    return { ok: response.ok, text: (await response.text()).trim() };
  };

  beforeAll(async () => {
    server = await startClickHouseServer({
      // The file listens on every interface; the test server stays on loopback.
      configFiles: { "spamtrace.xml": read("single-node/config.d/spamtrace.xml").replace("<listen_host>0.0.0.0</listen_host>", "<listen_host>127.0.0.1</listen_host>") },
      usersFiles: {
        "spamtrace.xml": read("single-node/users.d/spamtrace.xml")
          .replace("REPLACE_WITH_SHA256_OF_THE_COLLECTOR_PASSWORD", sha256(passwords.collector))
          .replace("REPLACE_WITH_SHA256_OF_THE_GRAFANA_PASSWORD", sha256(passwords.grafana)),
      },
    });
    lab = await makeLab({ store: server, probeHostIds: ["deploy-host"], ports: [await freePort()], database: "spamtrace" });
    const passwordFile = join(lab.dir, "clickhouse.password");
    await writeFile(passwordFile, `${passwords.collector}\n`);
    const config = JSON.parse(readFileSync(lab.collectorConfigFile, "utf8")) as { store: Record<string, unknown> };
    config.store = { ...config.store, username: "spamtrace", passwordFile };
    await writeFile(lab.collectorConfigFile, JSON.stringify(config));
    await lab.startCollector();
    await lab.startProbe("deploy-host");
  }, 180_000);

  afterAll(async () => {
    await lab?.close();
    await server?.stop();
  });

  it("lets the collector create its schema and store batches as the spamtrace user", async () => {
    const stored = await waitFor("a stored batch", async () => {
      const result = await asUser("spamtrace", passwords.collector, "SELECT count() FROM ingest_batches");
      return result.ok && Number(result.text) > 0 ? Number(result.text) : undefined;
    }, 30_000);
    expect(stored).toBeGreaterThan(0);
  });

  it("gives Grafana's user reads under the analyst limits, and no writes", async () => {
    const read = await asUser("grafana", passwords.grafana, "SELECT count() FROM hosts");
    expect(read).toEqual({ ok: true, text: "1" });
    const settings = await asUser("grafana", passwords.grafana, "SELECT name, value FROM system.settings WHERE name IN ('readonly', 'max_execution_time', 'max_memory_usage') ORDER BY name FORMAT TSV");
    expect(settings.text.split("\n")).toEqual(["max_execution_time\t20", "max_memory_usage\t1073741824", "readonly\t2"]);
    const write = await asUser("grafana", passwords.grafana, "INSERT INTO hosts (host_id) VALUES ('x')");
    expect(write.ok).toBe(false);
    expect(write.text).toMatch(/readonly/i);
    const hungry = await asUser("grafana", passwords.grafana, "SELECT length(groupArray(number)) FROM numbers(1000000000)");
    expect(hungry.ok).toBe(false);
    expect(hungry.text).toMatch(/Code: 241/);
    const otherDatabase = await asUser("grafana", passwords.grafana, "SELECT count() FROM default.nothing");
    expect(otherDatabase.ok).toBe(false);
    expect(otherDatabase.text).toMatch(/Access denied|Code: 291/i);
  });
});

describe("deploy/clickhouse/cluster", () => {
  it("names one cluster of 2 shards x 2 replicas, the collector's example config matches it and loads", () => {
    const xml = read("cluster/config.d/remote-servers.xml");
    const cluster = /<remote_servers>\s*<([A-Za-z_][A-Za-z0-9_]*)>/.exec(xml)?.[1];
    const shards = [...xml.matchAll(/<shard>([\s\S]*?)<\/shard>/g)].map((m) => m[1]!);
    expect(shards).toHaveLength(2);
    for (const shard of shards) {
      expect(shard).toContain("<internal_replication>true</internal_replication>");
      expect([...shard.matchAll(/<replica>/g)]).toHaveLength(2);
    }
    const hostsInXml = [...xml.matchAll(/<host>([^<]+)<\/host>/g)].map((m) => m[1]);
    const example = parseYaml(read("cluster/collector.yaml")) as { store: Record<string, unknown> };
    const config = loadCollectorConfig(undefined, example, {});
    expect(config.store.cluster).toMatchObject({ name: cluster, replicated: true });
    expect(config.store.cluster!.nodes.map((u) => new URL(u).hostname)).toEqual(hostsInXml);
    expect(read("cluster/config.d/macros.xml")).toMatch(/<shard>1<\/shard>\s*<replica>ch-1-1<\/replica>/);
    expect([...read("cluster/config.d/zookeeper.xml").matchAll(/<node>/g)]).toHaveLength(3);
  });
});
