import { describe, expect, it } from "vitest";
import { local, parseAll } from "../corpus.test-support.js";
import { MessageLedger } from "./message-ledger.js";

const lines = [
  `${"Dec  7 05:00:01"} mx1 postfix/smtpd[10]: 4A1B2C3D4E: client=unknown[192.0.2.10], sasl_method=LOGIN, sasl_username=alice`,
  `${"Dec  7 05:00:01"} mx1 postfix/cleanup[11]: 4A1B2C3D4E: message-id=<m1@lab.test>`,
  `${"Dec  7 05:00:01"} mx1 postfix/qmgr[12]: 4A1B2C3D4E: from=<alice@lab.test>, size=2048, nrcpt=3 (queue active)`,
  `${"Dec  7 05:00:02"} mx1 postfix/smtp[13]: 4A1B2C3D4E: to=<a@example.net>, relay=mx.example.net[198.51.100.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)`,
  `${"Dec  7 05:00:02"} mx1 postfix/smtp[13]: 4A1B2C3D4E: to=<b@example.net>, relay=mx.example.net[198.51.100.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)`,
  `${"Dec  7 05:00:03"} mx1 postfix/smtp[14]: 4A1B2C3D4E: to=<c@example.org>, relay=none, delay=2, delays=0/0/2/0, dsn=4.4.1, status=deferred (connect to mx.example.org[203.0.113.5]:25: Connection refused)`,
  // qmgr repeats from= on every retry: still one message.
  `${"Dec  7 05:10:03"} mx1 postfix/qmgr[12]: 4A1B2C3D4E: from=<alice@lab.test>, size=2048, nrcpt=1 (queue active)`,
  `${"Dec  7 05:10:04"} mx1 postfix/smtp[14]: 4A1B2C3D4E: to=<c@example.org>, relay=none, delay=600, delays=600/0/0/0, dsn=4.4.1, status=deferred (connect to mx.example.org[203.0.113.5]:25: Connection refused)`,
];

describe("MessageLedger", () => {
  it("keeps one row per accepted message and sums delivery outcomes per recipient domain", () => {
    const ledger = new MessageLedger();
    for (const e of parseAll(lines).events) ledger.add(e);
    const { messages, deliveries } = ledger.drain();
    expect(messages).toEqual([
      {
        received_at_unix_ms: local(2026, 12, 7, 5, 0, 1),
        queue_id: "4A1B2C3D4E",
        message_id: "m1@lab.test",
        sender: "alice@lab.test",
        null_sender: false,
        sasl_user: "alice",
        local_user: "",
        local_uid: -1,
        script: "",
        client_ip: "192.0.2.10",
        client_host: "unknown",
        size_bytes: 2048,
        recipient_count: 3,
        protocol: "",
        source: "postfix",
      },
    ]);
    expect(deliveries.map((d) => [d.recipient_domain, d.outcome, d.count, d.first_at_unix_ms < d.last_at_unix_ms, d.dsn])).toEqual([
      ["example.net", "delivered", 2, false, "2.0.0"],
      ["example.org", "deferred", 2, true, "4.4.1"],
    ]);
    expect(deliveries[0]!.relay).toBe("mx.example.net[198.51.100.1]:25");
    // drain() hands everything over: nothing is held back for the next batch.
    expect(ledger.drain()).toEqual({ messages: [], deliveries: [] });
  });

  it("names a local submitter's uid through the resolver, uid:N without one", () => {
    const pickup = [
      `Dec  7 05:00:01 mx1 postfix/pickup[20]: 5B6C7D8E9F: uid=1001 from=<webuser1>`,
      `Dec  7 05:00:01 mx1 postfix/qmgr[12]: 5B6C7D8E9F: from=<webuser1@lab.test>, size=300, nrcpt=1 (queue active)`,
    ];
    const named = new MessageLedger((uid) => (uid === 1001 ? "webuser1" : undefined));
    for (const e of parseAll(pickup).events) named.add(e);
    expect(named.drain().messages.map((m) => [m.local_user, m.local_uid])).toEqual([["webuser1", 1001]]);
    const bare = new MessageLedger();
    for (const e of parseAll(pickup).events) bare.add(e);
    expect(bare.drain().messages.map((m) => m.local_user)).toEqual(["uid:1001"]);
  });
});
