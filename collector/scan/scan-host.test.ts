import { describe, expect, it } from "vitest";
import { parseInspection } from "./inspect-output.js";
import { inspectArgv } from "./scan-host.js";

describe("the remote inspect command and its output", () => {
  it("sends the bundle on stdin, or runs the installed one; the host's MTA hints become the probe's flags", () => {
    expect(inspectArgv()).toEqual(["node", "-", "inspect", "--json"]);
    expect(inspectArgv({ postfixConfigDir: "/etc/postfix-out" }, "/opt/spamtrace/spamtrace-probe.cjs")).toEqual(["node", "/opt/spamtrace/spamtrace-probe.cjs", "inspect", "--json", "--mta-env", "MAIL_CONFIG=/etc/postfix-out"]);
    expect(inspectArgv({ eximBinary: "/usr/sbin/exim" })).toEqual(["node", "-", "inspect", "--json", "--mta-kind", "exim", "--mta-binary", "/usr/sbin/exim"]);
  });

  const valid = {
    probeVersion: "0.1.0",
    host: { hostname: "web1", ipAddresses: ["192.0.2.10"], os: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0", bootTimeUnixMs: 1 },
    sockets: [],
    mta: { kind: "postfix", version: "3.7.11", binaryPaths: ["/usr/sbin/postqueue"], logPaths: ["/var/log/mail.log"], queuePath: "/var/spool/postfix", evidence: [] },
    warnings: [],
    queue: { mta: "postfix", source: "postqueue -j", complete: true, total: 2, byQueue: { deferred: 2 }, frozenOrHeld: 0, oldestAgeSeconds: 60, nullSender: 0, recipients: 2, topSenders: [{ key: "a@x.test", count: 2 }], topRecipientDomains: [], skippedLines: 0, observedAtUnixMs: 1 },
    queueError: "",
  };

  it("takes a well-formed answer", () => {
    expect(parseInspection(JSON.stringify(valid)).queue?.total).toBe(2);
  });

  it.each([
    ["not JSON", "Traceback (most recent call last)", "the probe's inspect output is not JSON: Traceback (most recent call last)"],
    ["a negative count", JSON.stringify({ ...valid, queue: { ...valid.queue, total: -1 } }), "the probe's inspect output is not as expected at queue.total:"],
    ["an unknown MTA's queue", JSON.stringify({ ...valid, queue: { ...valid.queue, mta: "courier" } }), "the probe's inspect output is not as expected at queue.mta:"],
    ["no MTA", JSON.stringify({ ...valid, mta: undefined }), "the probe's inspect output is not as expected at mta:"],
  ])("refuses %s, naming where", (_what, stdout, message) => {
    expect(() => parseInspection(stdout)).toThrow(message);
  });
});
