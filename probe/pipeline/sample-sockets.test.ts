import { afterEach, describe, expect, it } from "vitest";
import { moduleLogger } from "../../shared/log/logger.js";
import { SocketAccumulator } from "../collect/sockets/accumulate-sockets.js";
import { ProbeMetrics } from "../metrics/probe-metrics.js";
import type { TcpChange } from "../collect/sockets/tcp-open-counter.js";
import { sampleSockets, SOCKET_TABLE_MAX_GAP_MS } from "./sample-sockets.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (at most 10 s: a loaded machine delays timers) until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await sleep(10);
  expect(done()).toBe(true);
}

describe("sampleSockets", () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  function start(check: (() => TcpChange) | undefined, gaps: { maxGapMs?: number; idleGapMs?: number } = {}) {
    const reads: number[] = [];
    const checks: number[] = [];
    const into = new SocketAccumulator(Date.now());
    stop = sampleSockets({
      read: async () => {
        reads.push(performance.now());
        return [];
      },
      into,
      intervalMs: 10,
      check:
        check === undefined
          ? undefined
          : () => {
              checks.push(performance.now());
              return check();
            },
      ...gaps,
      metrics: new ProbeMetrics(),
      logger: moduleLogger("test"),
    });
    return { reads, checks, into };
  }

  it("reads the table on the first tick, then only when a connection was opened", async () => {
    let opens = 0;
    const { reads, checks, into } = start(() => {
      const change = checks.length === 1 || opens > 0 ? "opened" : "still";
      opens = 0;
      return change;
    });
    await until(() => checks.length > 5);
    expect(reads).toHaveLength(1);
    opens = 1;
    await until(() => reads.length === 2);
    await until(() => checks.length > 12);
    expect(reads).toHaveLength(2);
    expect(into.sampleCount).toBe(2);
  });

  it("reads the table at least every SOCKET_TABLE_MAX_GAP_MS while the counters move without new connections", async () => {
    const { reads } = start(() => "moved");
    await until(() => reads.length === 2);
    expect(reads[1]! - reads[0]!).toBeGreaterThanOrEqual(SOCKET_TABLE_MAX_GAP_MS);
  });

  it("reads the table only every idleGapMs while the counters stand still, and within maxGapMs once they move", async () => {
    let change: TcpChange = "still";
    const { reads, checks } = start(() => (checks.length === 1 ? "opened" : change), { maxGapMs: 100, idleGapMs: 600 });
    await until(() => reads.length === 2);
    expect(reads[1]! - reads[0]!).toBeGreaterThanOrEqual(600);
    const movedAt = performance.now();
    change = "moved";
    await until(() => reads.length === 3);
    // Within maxGapMs of the last read, not idleGapMs (timers on a loaded machine may add a little).
    expect(reads[2]! - Math.max(reads[1]!, movedAt)).toBeLessThan(450);
  });

  it("reads the table on every tick without a check (lsof)", async () => {
    const { reads } = start(undefined);
    await until(() => reads.length > 3);
  });
});
