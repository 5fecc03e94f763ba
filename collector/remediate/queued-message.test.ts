import { describe, expect, it } from "vitest";
import { parseEximAuthId, parseEximBp, parsePostcatSaslUsers, parsePostqueueJson, selectCulpritMessages } from "./queued-message.js";

// Output as Debian 12's Postfix 3.7 and Exim 4.96 print it (the test labs).
const POSTQUEUE = [
  '{"queue_name": "deferred", "queue_id": "4F1C2242EB", "arrival_time": 1796613738, "message_size": 512, "forced_expire": false, "sender": "alice@lab.test", "recipients": [{"address": "v@example.net", "delay_reason": "connect refused"}]}',
  '{"queue_name": "hold", "queue_id": "5A2D3353FC", "arrival_time": 1796613739, "message_size": 498, "forced_expire": false, "sender": "", "recipients": []}',
  "not json",
].join("\n");
const POSTCAT = ["*** ENVELOPE RECORDS deferred/4F1C2242EB ***", "message_size:             512             182               1               0             512               0", "named_attribute: sasl_method=LOGIN", "named_attribute: sasl_username=alice", "sender: alice@lab.test", "*** ENVELOPE RECORDS hold/5A2D3353FC ***", "sender: "].join("\n");
const EXIM_BP = [" 0m   471 1xaPIw-0006IT-0A <alice@exim.test>", "          v@example.net", "", " 5h   2.1K 1xaPIx-0006IU-0B <> *** frozen ***", "          bounce@example.org", ""].join("\n");
const EXIM_H = ["1xaPIw-0006IT-0A-H", "Debian-exim 994 993", "<alice@exim.test>", "1796613738 0", "-host_auth login", "--auth_id alice", "-received_protocol esmtpa"].join("\n");

describe("queue listings", () => {
  it("reads postqueue -j and postcat -e", () => {
    expect(parsePostqueueJson(POSTQUEUE)).toEqual([
      { queueId: "4F1C2242EB", queue: "deferred", sender: "alice@lab.test", saslUser: "" },
      { queueId: "5A2D3353FC", queue: "hold", sender: "", saslUser: "" },
    ]);
    expect(parsePostcatSaslUsers(POSTCAT)).toEqual(new Map([["4F1C2242EB", "alice"]]));
  });

  it("reads exim -bp and the auth_id of exim -Mvh (tainted: two dashes)", () => {
    expect(parseEximBp(EXIM_BP)).toEqual([
      { queueId: "1xaPIw-0006IT-0A", queue: "queued", sender: "alice@exim.test", saslUser: "" },
      { queueId: "1xaPIx-0006IU-0B", queue: "frozen", sender: "", saslUser: "" },
    ]);
    expect(parseEximAuthId(EXIM_H)).toBe("alice");
    expect(parseEximAuthId(EXIM_H.replace("--auth_id", "-auth_id"))).toBe("alice");
    expect(parseEximAuthId("-host_auth login\n")).toBe("");
  });

  it("selects by SASL user or exact sender, case-insensitive, never a bounce by accident", () => {
    const q = [
      { queueId: "A", queue: "deferred", sender: "news@lab.test", saslUser: "Alice" },
      { queueId: "B", queue: "deferred", sender: "alice@lab.test", saslUser: "" },
      { queueId: "C", queue: "deferred", sender: "", saslUser: "" },
      { queueId: "D", queue: "deferred", sender: "alice@lab.test.evil", saslUser: "bob" },
    ];
    expect(selectCulpritMessages(q, { saslUser: "alice" }).map((m) => m.queueId)).toEqual(["A"]);
    expect(selectCulpritMessages(q, { saslUser: "alice@lab.test", sender: "alice@lab.test" }).map((m) => m.queueId)).toEqual(["B"]);
    expect(selectCulpritMessages(q, { sender: "" }).map((m) => m.queueId)).toEqual([]);
  });
});
