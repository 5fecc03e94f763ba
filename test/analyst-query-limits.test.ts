import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli } from "./setup/cli-process.js";
import { startClickHouseServer, type ClickHouseServer } from "./setup/clickhouse-server.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

// An analyst's runaway query is cut off by admin.query.* with an error that
// names the limit and its key, and probe batches keep being acknowledged
// while it runs — through `spamtrace sql` (straight to the server, or through
// the collector in embedded mode) and through /api/sql, on both stores.

const TIME_LIMIT_MS = 5000;
const MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;
// The issue's query; ClickHouse 18.16 refuses a float (1e11) as numbers()'s argument.
const HEAVY = "SELECT sum(cityHash64(number)) FROM numbers(100000000000)";
const HUNGRY = "SELECT length(groupArray(number)) AS n FROM numbers(1000000000)";
// Batches are built every 500 ms (the lab's snapshotIntervalMs): about 6 in
// the 3.1 s span measured inside the query's run.
const MIN_ACKS_WHILE_RUNNING = 3;
// The CLI (tsx) may take up to about 1 s to exit after the error arrives.
const START_MARGIN_MS = 700;
const END_MARGIN_MS = 1200;

interface Sample {
  at: number;
  acked: number;
}

describe.each(["embedded", "server"] as const)("analyst query limits on the %s store", (kind) => {
  let server: ClickHouseServer | undefined;
  let lab: Lab;
  let probeMetricsPort: number;

  const acked = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${probeMetricsPort}/metrics`)).text();
    const match = /^spamtrace_probe_batches_acked_total (\d+)/m.exec(text);
    if (!match) throw new Error(`no spamtrace_probe_batches_acked_total in the probe's metrics:\n${text.slice(0, 500)}`);
    return Number(match[1]);
  };

  /** Runs `work`, sampling the probe's acknowledged batches every 100 ms until it settles. */
  const whileSampling = async <T>(work: () => Promise<T>): Promise<{ result: T; started: number; ended: number; samples: Sample[] }> => {
    const samples: Sample[] = [];
    let done = false;
    const sampler = (async () => {
      while (!done) {
        samples.push({ at: Date.now(), acked: await acked() });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const started = Date.now();
    try {
      const result = await work();
      return { result, started, ended: Date.now(), samples };
    } finally {
      done = true;
      await sampler;
    }
  };

  /**
   * A span inside the query's run: it was cut off after running for the time
   * limit, and the answer reached us (CLI exit or HTTP reply) soon after, so
   * the last TIME_LIMIT_MS before `ended`, trimmed by a margin at both ends,
   * lies inside it. Inserts held up by the query would be acknowledged only
   * after that span.
   */
  const whileRunning = (ended: number): [number, number] => [ended - TIME_LIMIT_MS + START_MARGIN_MS, ended - END_MARGIN_MS];

  /** Batches acknowledged between `from` and `to` (ms since epoch), from the samples. */
  const ackedBetween = (samples: readonly Sample[], from: number, to: number): number => {
    const inside = samples.filter((s) => s.at >= from && s.at <= to);
    expect(inside.length, "samples of the probe's metrics while the query ran").toBeGreaterThan(5);
    return inside.at(-1)!.acked - inside[0]!.acked;
  };

  const apiSql = async (query: string): Promise<{ status: number; body: { rows?: unknown[]; error?: string } }> => {
    const token = readFileSync(lab.collectorConfig.admin.tokenFile, "utf8").trim();
    const response = await fetch(`http://127.0.0.1:${lab.adminPort}/api/sql`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: (await response.json()) as { rows?: unknown[]; error?: string } };
  };

  beforeAll(async () => {
    if (kind === "server") server = await startClickHouseServer();
    probeMetricsPort = await freePort();
    lab = await makeLab({
      store: server ?? "embedded",
      probeHostIds: ["limits-host"],
      ports: [await freePort()],
      collectorExtra: { admin: { query: { maxExecutionTimeMs: TIME_LIMIT_MS, maxMemoryBytes: MEMORY_LIMIT_BYTES } } },
      probeExtra: { metrics: { port: probeMetricsPort } },
    });
    await lab.startCollector();
    await lab.startProbe("limits-host");
    await waitFor("batches acknowledged", async () => ((await acked()) >= 2 ? true : undefined), 30_000);
  }, 180_000);

  afterAll(async () => {
    await lab?.close();
    await server?.stop();
  });

  it("cuts off `spamtrace sql` at admin.query.maxExecutionTimeMs, naming it, while batches are acknowledged", async () => {
    const cli = startCli("spamtrace", ["sql", "--config", lab.collectorConfigFile, HEAVY], { cwd: lab.dir });
    const { result: code, started, ended, samples } = await whileSampling(() => cli.exited);
    expect(code).not.toBe(0);
    expect(cli.output()).toContain(`admin.query.maxExecutionTimeMs = ${TIME_LIMIT_MS} ms`);
    expect(cli.output()).toMatch(/time limit/);
    // Stopped by the limit: not before it, and long before the query's own end (minutes).
    expect(ended - started).toBeGreaterThanOrEqual(TIME_LIMIT_MS);
    expect(ended - started).toBeLessThan(TIME_LIMIT_MS + 10_000);
    expect(ackedBetween(samples, ...whileRunning(ended))).toBeGreaterThanOrEqual(MIN_ACKS_WHILE_RUNNING);
  });

  it("cuts off /api/sql at the time limit while batches are acknowledged", async () => {
    const { result, started, ended, samples } = await whileSampling(() => apiSql(HEAVY));
    expect(result.status).toBe(400);
    expect(result.body.error).toContain(`admin.query.maxExecutionTimeMs = ${TIME_LIMIT_MS} ms`);
    expect(ended - started).toBeGreaterThanOrEqual(TIME_LIMIT_MS - 100);
    expect(ended - started).toBeLessThan(TIME_LIMIT_MS + 5000);
    expect(ackedBetween(samples, ...whileRunning(ended))).toBeGreaterThanOrEqual(MIN_ACKS_WHILE_RUNNING);
  });

  it("stops a query that needs more than admin.query.maxMemoryBytes, naming it", async () => {
    const api = await apiSql(HUNGRY);
    expect(api.status).toBe(400);
    expect(api.body.error).toContain(`admin.query.maxMemoryBytes = ${MEMORY_LIMIT_BYTES} bytes`);
    const cli = startCli("spamtrace", ["sql", "--config", lab.collectorConfigFile, HUNGRY], { cwd: lab.dir });
    expect(await cli.exited).not.toBe(0);
    expect(cli.output()).toContain(`admin.query.maxMemoryBytes = ${MEMORY_LIMIT_BYTES} bytes`);
  });

  it("still answers queries within the limits, and the collector kept storing", async () => {
    const api = await apiSql("SELECT count() AS n FROM ingest_batches");
    expect(api.status).toBe(200);
    expect(Number((api.body.rows as { n: string | number }[])[0]!.n)).toBeGreaterThanOrEqual(2 * MIN_ACKS_WHILE_RUNNING);
    expect(await acked()).toBeGreaterThanOrEqual(Number((api.body.rows as { n: string | number }[])[0]!.n) - 2);
  });
});
