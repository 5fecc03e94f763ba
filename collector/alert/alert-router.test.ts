import { describe, expect, it } from "vitest";
import type { Claims } from "../incidents/claim.js";
import { incident } from "../incidents/incident-fixtures.test-support.js";
import type { IncidentEvent } from "../incidents/incident-tracker.js";
import type { ClickHouseStore, Row } from "../store/clickhouse/store.js";
import { alertConfigSchema } from "../config/collector-config.js";
import { AlertRouter, notificationClaimKey } from "./alert-router.js";
import { PermanentSendError, type Sink } from "./notification.js";

class FakeSink implements Sink {
  readonly sent: { atMs: number; event: IncidentEvent }[] = [];
  failures = 0;
  permanent = false;
  calls = 0;
  constructor(
    readonly name: string,
    readonly type: "webhook" | "email" = "webhook",
  ) {}
  async send(event: IncidentEvent): Promise<void> {
    this.calls++;
    if (this.permanent) throw new PermanentSendError("HTTP 400");
    if (this.failures-- > 0) throw new Error("ECONNRESET");
    this.sent.push({ atMs: Date.now(), event });
  }
  async close(): Promise<void> {}
}

function fakeStore(): ClickHouseStore & { rows: Row[] } {
  const rows: Row[] = [];
  return {
    kind: "embedded",
    database: "t",
    rows,
    command: async () => undefined,
    insert: async (_table, r) => void rows.push(...r),
    query: async () => [],
    close: async () => undefined,
  };
}

const winAll: Claims = { claim: async (keys) => new Set(keys) };
const open = (id: string, over: Parameters<typeof incident>[0] = {}): IncidentEvent => ({ kind: "open", incident: incident({ id, ...over }) });

function router(over: Record<string, unknown>, sinks: Sink[], claims: Claims = winAll) {
  const store = fakeStore();
  const config = alertConfigSchema.parse({
    retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
    webhooks: sinks.filter((s) => s.type === "webhook").map((s) => ({ name: s.name, url: "http://127.0.0.1:9/x" })),
    email: sinks.filter((s) => s.type === "email").map((s) => ({ name: s.name, host: "127.0.0.1", to: ["a@b.example"], minSeverity: "critical" })),
    ...over,
  });
  return { r: new AlertRouter({ config, store, collectorId: "c1", claims, sinks }), store };
}

describe("AlertRouter", () => {
  it("claims one key per event: open, each severity reached, resolve", () => {
    expect(notificationClaimKey(open("x"))).toBe("notify:open:x");
    expect(notificationClaimKey({ kind: "escalate", incident: incident({ id: "x", severity: "critical" }) })).toBe("notify:escalate:x:critical");
    expect(notificationClaimKey({ kind: "resolve", incident: incident({ id: "x" }) })).toBe("notify:resolve:x");
  });

  it("routes by rule, sink filters and event kinds", () => {
    const hook = new FakeSink("hook");
    const mail = new FakeSink("mail", "email");
    const { r } = router({ rules: { "queue-surge": { sinks: ["hook"] } }, events: ["open", "resolve"] }, [hook, mail]);
    expect(r.routesOf(open("a", { severity: "critical" }))).toEqual(["hook", "mail"]);
    expect(r.routesOf(open("a", { severity: "high" }))).toEqual(["hook"]);
    expect(r.routesOf(open("a", { rule: "queue-surge", severity: "critical" }))).toEqual(["hook"]);
    expect(r.routesOf({ kind: "escalate", incident: incident() })).toEqual([]);
  });

  it("sends only what this collector won, and records each outcome", async () => {
    const hook = new FakeSink("hook");
    const claims: Claims = { claim: async (keys) => new Set(keys.filter((k) => k.endsWith(":a"))) };
    const { r, store } = router({}, [hook], claims);
    expect(await r.dispatch([open("a"), open("b")])).toEqual({ claimed: 1, lost: 1, queued: 1, dropped: 0 });
    await r.drain();
    expect(hook.sent.map((s) => s.event.incident.id)).toEqual(["a"]);
    expect(store.rows.map((row) => [row.incident_id, row.sink, row.outcome, row.attempts])).toEqual([["a", "hook", "sent", 1]]);
  });

  it("retries transient failures and gives up on permanent ones", async () => {
    const flaky = new FakeSink("flaky");
    flaky.failures = 2;
    const broken = new FakeSink("broken");
    broken.permanent = true;
    const { r, store } = router({}, [flaky, broken]);
    await r.dispatch([open("a")]);
    await r.drain();
    expect(flaky.sent).toHaveLength(1);
    expect(flaky.calls).toBe(3);
    expect(broken.calls).toBe(1);
    expect(store.rows.map((row) => [row.sink, row.outcome, row.attempts, row.error])).toEqual(
      expect.arrayContaining([
        ["flaky", "sent", 3, ""],
        ["broken", "failed", 1, "HTTP 400"],
      ]),
    );
  });

  it("rate-limits per sink: a storm of incidents sends maxPerMinute at once and holds the rest", async () => {
    const hook = new FakeSink("hook");
    const { r } = router({ maxPerMinute: 3 }, [hook]);
    await r.dispatch(Array.from({ length: 6 }, (_, i) => open(`i${i}`)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hook.sent).toHaveLength(3);
    await r.close();
    expect(hook.sent).toHaveLength(3);
  });

  it("drops beyond maxQueued, recording the drop", async () => {
    const hook = new FakeSink("hook");
    const { r, store } = router({ maxPerMinute: 1, maxQueued: 2 }, [hook]);
    // The first leaves the queue at once (a token is free); two wait; the rest are dropped.
    const report = await r.dispatch(Array.from({ length: 5 }, (_, i) => open(`i${i}`)));
    expect(report).toMatchObject({ queued: 3, dropped: 2 });
    expect(store.rows.filter((row) => row.outcome === "dropped").map((row) => row.incident_id)).toEqual(["i3", "i4"]);
    await r.close();
  });
});
