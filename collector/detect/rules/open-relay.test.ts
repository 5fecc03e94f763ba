import { describe, expect, it } from "vitest";
import type { HostRelayPolicy } from "../relay-policies.js";
import { IpNetworks } from "../../vocabulary/ip-networks.js";
import { evaluateOpenRelay, evaluateRelayConfig } from "./open-relay.js";
import { RULES, isFleetAddress, totals } from "./rule-fixtures.test-support.js";

const ERROR_AGENT = "Dec  7 06:00:02 mail postfix/error[104]: 2B3C: to=<c@victims.example>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to mx.victims.example[192.0.2.1]:25: Connection timed out)";
const QMGR = "Dec  7 06:00:01 mail postfix/qmgr[102]: 2B3C: from=<promo@spam.example>, size=420, nrcpt=1 (queue active)";
const SMTP = "Dec  7 06:00:02 mail postfix/smtp[103]: 3C4D: to=<customer@buyers.example>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.buyers.example[192.0.2.2]:25: Connection timed out)";

const policy = (over: Partial<HostRelayPolicy> = {}): HostRelayPolicy => ({
  hostId: "mx1",
  mta: "postfix",
  observedAtMs: 1_000_000,
  hash: "ab12",
  servedDomainCount: 3,
  permitted: new IpNetworks(["127.0.0.0/8", "10.20.0.0/16"]),
  permittedNetworks: ["127.0.0.0/8", "10.20.0.0/16"],
  complete: true,
  unreadableSources: [],
  findings: [],
  ...over,
});

describe("evaluateOpenRelay with the host's relay policy", () => {
  const config = RULES.openRelay;
  it.each<{ name: string; ip: string; relayed: number; authSuccesses?: number; lines: string[]; policy?: Partial<HostRelayPolicy>; fires: boolean }>([
    { name: "relayed by destination, only the error agent in the samples", ip: "203.0.113.9", relayed: 2, lines: [QMGR, ERROR_AGENT], fires: true },
    { name: "relayed by destination while the client also authenticated for other mail", ip: "203.0.113.9", relayed: 2, authSuccesses: 3, lines: [QMGR], fires: true },
    { name: "remote delivery lines but nothing relayed by destination (complete policy)", ip: "203.0.113.9", relayed: 0, lines: [SMTP], fires: false },
    { name: "an app server in the permitted networks, even with remote delivery lines", ip: "10.20.0.5", relayed: 0, lines: [SMTP], fires: false },
    { name: "partial policy: the sampled lines still count for unknown domains", ip: "203.0.113.9", relayed: 0, lines: [SMTP], policy: { complete: false, unreadableSources: ["mysql:/etc/postfix/d.cf"] }, fires: true },
    { name: "partial policy: a permitted client still never counts", ip: "10.20.0.5", relayed: 0, lines: [SMTP], policy: { complete: false }, fires: false },
  ])("$name → $fires", ({ ip, relayed, authSuccesses, lines, policy: over, fires }) => {
    const found = evaluateOpenRelay(
      [totals({ hostId: "mx1", kind: "client_ip", identity: ip, received: 2, relayed, relayedRecipients: relayed, authSuccesses: authSuccesses ?? 0, deferred: 2, lines })],
      config,
      isFleetAddress,
      new Map([["mx1", policy(over)]]),
    );
    expect(found.map((f) => [f.rule, f.subject, f.details.clients])).toEqual(fires ? [["open-relay", "mx1", [ip]]] : []);
  });

  it("names the recipient domains of error-agent lines and says how it judged", () => {
    const [f] = evaluateOpenRelay([totals({ hostId: "mx1", kind: "client_ip", identity: "203.0.113.9", received: 2, relayed: 2, relayedRecipients: 3, deferred: 3, lines: [QMGR, ERROR_AGENT] })], config, isFleetAddress, new Map([["mx1", policy()]]));
    expect(f!.details).toMatchObject({ recipient_domains: ["victims.example"], judged_by: ["destination"], relay_policy_hash: "ab12" });
    expect(f!.counts).toMatchObject({ relayed_messages: 2, relayed_recipients: 3 });
  });
});

describe("evaluateRelayConfig", () => {
  it("fires per host whose latest policy lists open-relay settings, naming each setting and file", () => {
    const found = evaluateRelayConfig(
      [
        policy({ hostId: "mx1", findings: [{ setting: "mynetworks", file: "/etc/postfix/main.cf", value: "0.0.0.0/0", reason: "covers the Internet" }] }),
        policy({ hostId: "mx2" }),
      ],
      2_000_000,
    );
    expect(found.map((f) => [f.subject, f.check, f.details.settings, f.details.files])).toEqual([["mx1", "config", ["mynetworks"], ["/etc/postfix/main.cf"]]]);
    expect(found[0]!.summary).toContain("mynetworks in /etc/postfix/main.cf");
  });
});
