import { describe, expect, it } from "vitest";
import { classifyDeliveryLine, REMOTE_DELIVERY_PREFILTER } from "./classify-delivery-line.js";

const FILTER_PORTS = [10024, 10025];

describe("classifyDeliveryLine", () => {
  it.each<{ name: string; line: string; output: ReturnType<typeof classifyDeliveryLine> }>([
    {
      name: "postfix smtp deferred, connection refused (relay=none)",
      line: "Nov 29 07:04:11 mail postfix/smtp[13966]: DD68719044E: to=<a@victim1.example>, relay=none, delay=0.52, delays=0.11/0.01/0.4/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:2599: Connection refused)",
      output: { kind: "remote", recipient: "a@victim1.example", queueId: "DD68719044E", forwarded: false },
    },
    {
      name: "postfix smtp sent to an MX",
      line: "Nov 29 07:06:01 mail postfix/smtp[13966]: 1A2B3C4D5E: to=<X@victim3.example>, relay=mx.victim3.example[192.0.2.25]:25, delay=1, dsn=5.1.1, status=bounced (host said: 550)",
      output: { kind: "remote", recipient: "x@victim3.example", queueId: "1A2B3C4D5E", forwarded: false },
    },
    {
      name: "postfix hop to amavis is local",
      line: "Nov 29 08:00:01 mail postfix/smtp[2005]: 3C4D5E6F70: to=<v9@far.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1.2, dsn=2.0.0, status=sent (250 2.0.0 queued as 8A9B0C1D2E)",
      output: { kind: "local", recipient: "v9@far.example", queueId: "3C4D5E6F70", forwarded: false },
    },
    {
      name: "postfix local delivery",
      line: "Nov 29 07:06:02 mail postfix/local[13969]: 9F8E7D6C5B: to=<www-data@mail.example.org>, relay=local, delay=0.1, dsn=2.0.0, status=sent (delivered to mailbox)",
      output: { kind: "local", recipient: "www-data@mail.example.org", queueId: "9F8E7D6C5B", forwarded: false },
    },
    {
      name: "postfix multi-instance smtp",
      line: "Nov 29 07:06:02 mail postfix-out/smtp[1]: ABCDEF: to=<a@b.example>, relay=mx.b.example[198.51.100.1]:25, status=sent (250 ok)",
      output: { kind: "remote", recipient: "a@b.example", queueId: "ABCDEF", forwarded: false },
    },
    {
      name: "exim remote_smtp delivery",
      line: '2026-11-29 07:10:01 1vP5aB-00000A-Xy => v1@far.example R=dnslookup T=remote_smtp H=mx.far.example [192.0.2.80] C="250 OK"',
      output: { kind: "remote", recipient: "v1@far.example", queueId: "1vP5aB-00000A-Xy", forwarded: false },
    },
    {
      name: "exim deferral",
      line: "2026-11-29 07:11:02 1vP5aC-00000B-Zz == r1@slow.example R=dnslookup T=remote_smtp defer (-53): retry time not reached for any host",
      output: { kind: "remote", recipient: "r1@slow.example", queueId: "1vP5aC-00000B-Zz", forwarded: false },
    },
    {
      name: "exim local delivery",
      line: "2026-11-29 07:11:02 1vP5aC-00000B-Zz => bob <bob@lab.test> R=local_user T=mail_spool",
      output: { kind: "local", recipient: "bob", queueId: "1vP5aC-00000B-Zz", forwarded: true },
    },
    {
      name: "exim dovecot lmtp is local",
      line: "2026-11-29 07:11:02 1vP5aC-00000B-Zz => bob@lab.test R=virtual T=dovecot_lmtp H=127.0.0.1 [127.0.0.1]",
      output: { kind: "local", recipient: "bob@lab.test", queueId: "1vP5aC-00000B-Zz", forwarded: false },
    },
    {
      name: "sendmail esmtp",
      line: "Nov 29 07:00:00 mail sm-mta[99]: 4ATA0x01: to=<a@x.example>, delay=00:00:01, mailer=esmtp, pri=120, relay=mx.x.example. [192.0.2.9], dsn=2.0.0, stat=Sent (ok)",
      output: { kind: "remote", recipient: "a@x.example", queueId: "4ATA0x01", forwarded: false },
    },
    {
      name: "qmail remote",
      line: "@400000006569e1a0 starting delivery 12: msg 345 to remote a@x.example",
      output: { kind: "remote", recipient: "a@x.example", queueId: "345", forwarded: false },
    },
    {
      name: "postfix forwarding an alias to an outside mailbox",
      line: "Nov 29 07:06:01 mail postfix/smtp[1]: 9A8B: to=<someone@gmail.example>, orig_to=<info@hosted.example>, relay=gmail-smtp-in.l.google.com[192.0.2.9]:25, delay=1, dsn=2.0.0, status=sent (250 ok)",
      output: { kind: "remote", recipient: "someone@gmail.example", queueId: "9A8B", forwarded: true },
    },
    {
      name: "exim forwarding an alias to an outside mailbox",
      line: '2026-11-29 07:10:01 1vP5aB-00000A-Xy => someone@gmail.example <info@hosted.example> R=dnslookup T=remote_smtp H=mx.gmail.example [192.0.2.9] C="250 OK"',
      output: { kind: "remote", recipient: "someone@gmail.example", queueId: "1vP5aB-00000A-Xy", forwarded: true },
    },
    {
      name: "a received line is no delivery",
      line: "Nov 29 07:04:10 mail postfix/qmgr[13950]: DD68719044E: from=<ceo@bank.example>, size=1422, nrcpt=3 (queue active)",
      output: null,
    },
  ])("$name", ({ line, output }) => {
    expect(classifyDeliveryLine(line, FILTER_PORTS)).toEqual(output);
    // The SQL prefilter lets every remote delivery through (JS and RE2 agree on this simple pattern).
    if (output?.kind === "remote") expect(new RegExp(REMOTE_DELIVERY_PREFILTER).test(line)).toBe(true);
  });
});
