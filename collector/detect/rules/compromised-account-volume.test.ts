import { describe, expect, it } from "vitest";
import { baselineKey } from "../baseline.js";
import { evaluateAccountVolume } from "./compromised-account-volume.js";
import { RULES, isFleetAddress, totals } from "./rule-fixtures.test-support.js";

const config = RULES.compromisedAccount;
const history = (p95: number, buckets = 100) => new Map([[baselineKey("mx1", "a@x.example"), { p95, buckets }]]);

describe("evaluateAccountVolume", () => {
  it.each<{ name: string; received: number; domains?: number; p95?: number; ips?: string[]; deferred?: number; delivered?: number; fires: string | null; boost?: number }>([
    { name: "new account at its first normal hour (below the minimum)", received: 40, fires: null },
    { name: "new account exactly at the minimum: not above floor × multiplier", received: 50, fires: null },
    { name: "new account above the minimum and the floor", received: 51, fires: "volume" },
    { name: "busy account at its usual level", received: 400, p95: 100, fires: null },
    { name: "busy account far above its usual level", received: 501, p95: 100, fires: "volume" },
    { name: "tiny history still needs the absolute minimum", received: 45, p95: 1, fires: null },
    { name: "escalates far above the bar", received: 600, fires: "volume", boost: 1 },
    { name: "many domains alone do not fire", received: 30, domains: 40, fires: null },
    { name: "many domains from many networks fire", received: 30, domains: 40, ips: ["203.0.113.1", "198.18.0.1", "192.0.2.1"], fires: "spread" },
    { name: "many domains with most deliveries failing fire", received: 30, domains: 40, deferred: 25, delivered: 5, fires: "spread" },
    { name: "a small newsletter: a handful of messages to 24 domains, all deferred (relay host down)", received: 5, domains: 24, deferred: 40, fires: null },
    { name: "a handful of messages all deferred, far above the account's own history", received: 8, domains: 24, deferred: 40, p95: 1, fires: "spread" },
    { name: "a handful of messages all deferred, at the account's usual level", received: 5, domains: 24, deferred: 40, p95: 4, fires: null },
    { name: "many domains through webmail on loopback do not count as networks", received: 30, domains: 40, ips: ["127.0.0.1", "127.0.0.2", "127.0.0.3"], fires: null },
  ])("$name", ({ received, domains, p95, ips, deferred, delivered, fires, boost }) => {
    const findings = evaluateAccountVolume({
      totals: [totals({ hostId: "mx1", kind: "sasl_user", identity: "a@x.example", received, recipientDomains: domains ?? 0, deferred: deferred ?? 0, delivered: delivered ?? 0, lines: ["l1"], queueIds: ["Q1"] })],
      baselines: p95 === undefined ? new Map() : history(p95),
      clientIps: new Map([[baselineKey("mx1", "a@x.example"), ips ?? []]]),
      config,
      isFleetAddress,
    });
    if (fires === null) {
      expect(findings).toEqual([]);
      return;
    }
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: "compromised-account", scope: "host", scopeHost: "mx1", subject: "a@x.example", check: fires, severityBoost: boost ?? 0 });
    expect(findings[0]!.evidence).toMatchObject({ sample_lines: ["l1"], queue_ids: ["Q1"] });
  });

  it("summarises the numbers behind the verdict", () => {
    const [f] = evaluateAccountVolume({
      totals: [totals({ hostId: "mx1", kind: "sasl_user", identity: "a@x.example", received: 240, recipientDomains: 200, deferred: 200, delivered: 40 })],
      baselines: history(3),
      clientIps: new Map([[baselineKey("mx1", "a@x.example"), ["203.0.113.5", "203.0.113.6", "198.18.7.7", "127.0.0.1"]]]),
      config,
      isFleetAddress,
    });
    expect(f!.counts).toMatchObject({ messages: 240, baseline_p95: 3, threshold: 50, client_ips: 3, networks: 2, failure_share_percent: 83 });
    expect(f!.summary).toBe("account a@x.example sent 240 messages in 5 min (usual p95 3, fires at 50), 200 recipient domains, 3 outside client IPs in 2 networks, 83% of 240 deliveries deferred/bounced");
  });
});
