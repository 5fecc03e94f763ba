// Scoring of the detection-quality run: an incident opened by one check and
// naming an attack's culprit only in a later version (open-relay: the
// configuration check at probe start, then the passive check naming the
// relaying client) is timed from the version that named the culprit.
import { describe, expect, it } from "vitest";
import { namedCulpritAt, scoreRun } from "./quality-score.js";
import type { ObservedIncident, Scenario } from "./scenario.js";

const CONFIG = "pf-host's postfix configuration makes an open relay: mynetworks in /lab/etc/main.cf (covers the Internet)";
const PASSIVE = "pf-host relayed 15 messages from 1 unauthenticated outside clients (127.83.0.11)";

const relayIncident: ObservedIncident = {
  rule: "open-relay",
  scope: "host",
  subject: "pf-host",
  hosts: ["pf-host"],
  summary: `${CONFIG}; ${PASSIVE}`,
  openedAtMs: 1_000,
  versions: [
    { atMs: 1_000, summary: CONFIG },
    { atMs: 9_000, summary: `${CONFIG}; ${PASSIVE}` },
  ],
};

const scenario: Scenario = {
  name: "pf-open-relay",
  description: "test",
  actors: ["127.83.0.11"],
  expected: [
    { rule: "open-relay", culprit: (i) => /\bmynetworks in \S*main\.cf/.test(i.summary), culpritLabel: "setting", raisedByConfiguration: true },
    { rule: "open-relay", culprit: (i) => i.summary.includes("127.83.0.11"), culpritLabel: "client" },
  ],
  run: async () => ({ firstActivityMs: 5_000 }),
};

describe("quality score", () => {
  it("times a culprit from the incident version that first named it", () => {
    expect(namedCulpritAt(relayIncident, scenario.expected[1]!)).toBe(9_000);
    expect(namedCulpritAt(relayIncident, scenario.expected[0]!)).toBe(1_000);
    expect(namedCulpritAt({ ...relayIncident, summary: CONFIG, versions: [{ atMs: 1_000, summary: CONFIG }] }, scenario.expected[1]!)).toBeUndefined();
  });

  it("finds both expectations in the one incident; the configuration one stays out of the latency", () => {
    const score = scoreRun([scenario], new Map([["pf-open-relay", { firstActivityMs: 5_000 }]]), [relayIncident]);
    expect(score.expectations.map((e) => [e.found !== undefined, e.latencyMs])).toEqual([
      [true, undefined],
      [true, 4_000],
    ]);
    expect(score.unexpected).toEqual([]);
    expect(score.latency).toEqual({ p50: 4_000, p95: 4_000, count: 1 });
  });
});
