import { describe, expect, it } from "vitest";
import { parseAll } from "../corpus.test-support.js";
import { RelayJudge, type RelayPolicy } from "../relay/relay-policy.js";
import { WindowAggregator } from "./window-aggregator.js";

const POLICY: RelayPolicy = {
  mta: "postfix",
  servedDomains: ["example.org", "localhost"],
  permittedNetworks: ["127.0.0.0/8", "10.20.0.0/16"],
  unreadableSources: [],
  sources: [],
  findings: [],
};

// Postfix lines as Postfix writes them: a relay abuser whose first message goes to smtp and whose
// next ones go to the error agent once the next hop is marked dead; an app server in mynetworks;
// an authenticated user; inbound mail and an alias forward.
const msg = (qid: string, client: string, to: readonly [agent: string, rcpt: string, extra?: string][], sasl = "", minute = "00") => [
  `Dec  7 06:${minute}:01 mail postfix/smtpd[100]: ${qid}: client=unknown[${client}]${sasl === "" ? "" : `, sasl_method=PLAIN, sasl_username=${sasl}`}`,
  `Dec  7 06:${minute}:01 mail postfix/cleanup[101]: ${qid}: message-id=<${qid}@sender.example>`,
  `Dec  7 06:${minute}:01 mail postfix/qmgr[102]: ${qid}: from=<sender@sender.example>, size=420, nrcpt=${to.length} (queue active)`,
  ...to.map(([agent, rcpt, extra]) =>
    agent === "error"
      ? `Dec  7 06:${minute}:02 mail postfix/error[104]: ${qid}: to=<${rcpt}>${extra ?? ""}, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to mx.victims.example[192.0.2.1]:25: Connection timed out)`
      : agent === "local"
        ? `Dec  7 06:${minute}:02 mail postfix/local[105]: ${qid}: to=<${rcpt}>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)`
        : `Dec  7 06:${minute}:02 mail postfix/smtp[103]: ${qid}: to=<${rcpt}>${extra ?? ""}, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.victims.example[192.0.2.1]:25: Connection timed out)`,
  ),
];

function relayedByClient(lines: readonly string[], policy: RelayPolicy | undefined): Record<string, [number, number]> {
  const judge = policy === undefined ? undefined : new RelayJudge(policy);
  const agg = new WindowAggregator({ windowMs: 60_000, relayJudge: () => judge });
  for (const e of parseAll(lines).events) agg.add(e);
  const out: Record<string, [number, number]> = {};
  for (const w of agg.drainAll().identities) {
    if (w.kind !== "client_ip") continue;
    const [m, r] = out[w.key] ?? [0, 0];
    out[w.key] = [m + w.relayed, r + w.relayed_recipients];
  }
  return out;
}

describe("relayed counts (RelayCounter in the window aggregator)", () => {
  const lines = [
    ...msg("1A2B3C4D5E", "203.0.113.9", [["smtp", "a@victims.example"], ["error", "b@victims.example"]]),
    ...msg("2B3C4D5E6F", "203.0.113.9", [["error", "c@victims.example"]]),
    ...msg("3C4D5E6F70", "10.20.0.5", [["smtp", "customer@buyers.example"]]),
    ...msg("4D5E6F7081", "198.51.100.7", [["smtp", "friend@friends.example"]], "bob"),
    ...msg("5E6F708192", "192.0.2.33", [["local", "info@example.org"], ["smtp", "owner@gmail.example", ", orig_to=<info@example.org>"]]),
    // Retries of the abuser's messages a minute later, by the error agent: the same messages, not new ones.
    `Dec  7 06:01:30 mail postfix/error[104]: 1A2B3C4D5E: to=<a@victims.example>, relay=none, delay=90, delays=90/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to mx.victims.example[192.0.2.1]:25: Connection timed out)`,
    `Dec  7 06:01:30 mail postfix/error[104]: 2B3C4D5E6F: to=<c@victims.example>, relay=none, delay=90, delays=90/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to mx.victims.example[192.0.2.1]:25: Connection timed out)`,
  ];

  it("counts each message of an unauthenticated, unpermitted client to an unserved domain once, whatever agent took it", () => {
    expect(relayedByClient(lines, POLICY)).toEqual({
      "203.0.113.9": [2, 3], // two messages, three recipients; the error-agent-only message counts, retries do not
      "10.20.0.5": [0, 0], // the app server mynetworks permits
      "198.51.100.7": [0, 0], // authenticated
      "192.0.2.33": [0, 0], // inbound mail and its alias forward
    });
  });

  it("counts nothing without a relay policy", () => {
    expect(Object.values(relayedByClient(lines, undefined)).every(([m, r]) => m === 0 && r === 0)).toBe(true);
  });

  it("counts nothing for a domain a partial policy cannot place", () => {
    expect(relayedByClient(lines, { ...POLICY, unreadableSources: ["mysql:/etc/postfix/mysql-domains.cf"] })["203.0.113.9"]).toEqual([0, 0]);
  });

  it("an Internet-wide mynetworks permits nobody", () => {
    expect(relayedByClient(lines, { ...POLICY, permittedNetworks: ["0.0.0.0/0"] })["203.0.113.9"]).toEqual([2, 3]);
  });
});
