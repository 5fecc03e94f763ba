import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS_DIR, corpusAvailable } from "../../shared/mta/corpus.test-support.js";
import { parseReceived } from "./parse-received.js";
import { readComplaint } from "./read-complaint.js";
import { traceHeaders, type FleetHostNames } from "./trace-complaint.js";

const host = (hostId: string, names: string[], ips: string[] = []): FleetHostNames => ({ hostId, hostname: names[0] ?? hostId, ipAddresses: ips, mtaNames: names.slice(1) });
const eml = (rel: string): Promise<Awaited<ReturnType<typeof readComplaint>>> => readComplaint(readFileSync(resolve(CORPUS_DIR, "eml", rel)));

describe("parseReceived", () => {
  it("reads Postfix, Exim and qmail trace fields", () => {
    expect(parseReceived("from client.example (unknown [192.0.2.61])\n\t(Authenticated sender: alice)\n\tby mail.lab.test (Postfix) with ESMTPSA id 4dQxYk3Jz2z9sW\n\tfor <victim@example.net>; Mon,  7 Dec 2026 05:40:01 +0000 (UTC)")).toMatchObject({
      helo: "client.example", clientName: "unknown", clientIp: "192.0.2.61", by: "mail.lab.test", with: "ESMTPSA", id: "4dQxYk3Jz2z9sW", for: "victim@example.net", authUser: "alice", uid: null, dateMs: Date.UTC(2026, 11, 7, 5, 40, 1),
    });
    expect(parseReceived("from [114.104.183.121] (port=59343 helo=pc275)\n by gator4112.hostgator.com with esmtpa (Exim 4.94.2)\n (envelope-from <contact@hrcompass.com.sg>) id 1ndFRc-003ycF-48\n for x@y.example; Sat, 09 Apr 2022 13:04:20 -0500")).toMatchObject({
      helo: "pc275", clientIp: "114.104.183.121", by: "gator4112.hostgator.com", with: "esmtpa", id: "1ndFRc-003ycF-48", envelopeFrom: "contact@hrcompass.com.sg",
    });
    expect(parseReceived("from webuser1 by mail.exim.test with local (Exim 4.96)\n\t(envelope-from <webuser1@exim.test>)\n\tid 1vS8Jb-000124-2C; Mon, 07 Dec 2026 05:40:01 +0000")).toMatchObject({ helo: "webuser1", clientIp: null, with: "local" });
    expect(parseReceived("(qmail 12345 invoked by uid 10001); 7 Dec 2026 05:40:01 -0000")).toMatchObject({ by: null, uid: 10001, qmail: "qmail 12345 invoked by uid 10001" });
    expect(parseReceived("from hfc.une.net.co (HELO ?181.142.199.114?) (181.142.199.114) by ip-46.97.hospedando.com with ESMTPA; 19 Jan 2016 20:32:35 +0100")).toMatchObject({ clientIp: "181.142.199.114", by: "ip-46.97.hospedando.com", with: "ESMTPA" });
  });
});

describe("traceHeaders", () => {
  const h = (lines: string[]) => lines.map((l) => ({ key: l.slice(0, l.indexOf(":")).toLowerCase(), value: l.slice(l.indexOf(":") + 1).trim() }));

  it("takes the first fleet hop newest first and follows the fleet's own hops down (web server → outbound relay)", () => {
    const t = traceHeaders(
      h([
        "Received: from relay1.fleet.example (relay1.fleet.example [203.0.113.2]) by mx.example.net (Postfix) with ESMTPS id AAA; Mon, 7 Dec 2026 05:41:00 +0000",
        "Received: from web7.fleet.example (web7.fleet.example [10.0.0.7]) by relay1.fleet.example (Postfix) with ESMTP id BBB; Mon, 7 Dec 2026 05:40:59 +0000",
        "Received: by web7.fleet.example (Postfix, from userid 1007) id CCC; Mon, 7 Dec 2026 05:40:58 +0000",
        "X-PHP-Originating-Script: 1007:wp-mail.php",
        "Message-ID: <x@shop.example>",
      ]),
      [host("relay1", ["relay1.fleet.example"]), host("web7", ["web7", "web7.fleet.example"])],
    );
    expect(t).toMatchObject({ verdict: "origin", host: "web7", queue_id: "CCC", uid: 1007, script: "wp-mail.php", message_id: "x@shop.example" });
    expect(t.evidence.join("\n")).toMatch(/web7 handed it to relay1/);
  });

  it("an unauthenticated client from the network with no hop before ours is a relay; from the host itself an origin", () => {
    const hops = (ip: string) => h([`Received: from x (x [${ip}]) by mail.fleet.example (Postfix) with ESMTP id DDD; Mon, 7 Dec 2026 05:40:58 +0000`]);
    const fleet = [host("h1", ["h1", "mail.fleet.example"], ["203.0.113.9"])];
    expect(traceHeaders(hops("198.51.100.3"), fleet).verdict).toBe("relay");
    expect(traceHeaders(hops("127.0.0.1"), fleet).verdict).toBe("origin");
    expect(traceHeaders(hops("203.0.113.9"), fleet).verdict).toBe("origin");
  });
});

describe.skipIf(!corpusAvailable)("complaints of the corpus (../shared/corpus/eml)", () => {
  it("a PHP script on a Postfix host: origin, uid and script from (Postfix, from userid N) and X-PHP-Originating-Script", async () => {
    const c = await eml("industrypack-devel-list-spam/x-php-originating-script/788d9373e494c48243fe876df66df5b75db29bf5.eml");
    const t = traceHeaders(c.headers, [host("ai106", ["mta.ai106.secure.ne.jp"])]);
    expect(t).toMatchObject({ verdict: "origin", host: "ai106", queue_id: "CAADA497A40", uid: 10751, script: "class-phpmailer.php", client_ip: null, message_id: "262d25669eccf0a4057bbdebc43fb826@zichikai.com" });
  });

  it("cPanel Exim after SMTP AUTH: origin; X-AntiAbuse and X-Get-Message-Sender-Via name the host and account", async () => {
    const c = await eml("spamscope-mail-parser/mail_test_4.eml");
    const t = traceHeaders(c.headers, [host("cp1", ["localhost.localdomain.com"])]);
    expect(t).toMatchObject({ verdict: "origin", host: "cp1", sasl_user: "quazi.limon@revesoft.com", client_ip: "86.187.174.57", uid: 47 });
    expect(t.evidence.some((e) => e.startsWith("x-get-message-sender-via:"))).toBe(true);
  });

  it("an ARF report from a feedback loop: the attached original is traced (AOL, qmail host)", async () => {
    const c = await eml("abuseio-notifier-samples/feedback-loop/AOL_example_1.eml");
    expect(c.wrapper).toMatchObject({ feedbackType: "abuse" });
    const t = traceHeaders(c.headers, [host("hosp46", ["ip-46.97.hospedando.com"])]);
    // Authenticated (ESMTPA) from a client on the network, nothing before it: a user of the host sent it.
    expect(t).toMatchObject({ verdict: "origin", host: "hosp46", client_ip: "181.142.199.114" });
  });

  it("an ARF report whose original came from a web server's PHP (Fastmail, Postfix userid 48)", async () => {
    const c = await eml("abuseio-notifier-samples/feedback-loop/Fastmail_example_2.eml");
    const t = traceHeaders(c.headers, [host("web4", ["server.domain4.tld"])]);
    expect(t).toMatchObject({ verdict: "origin", host: "web4", uid: 48, script: "functions.php", queue_id: "4017ABD02B7" });
  });

  it("is not ours when no hop names the fleet, and every corpus mail parses", async () => {
    const { readdirSync, statSync } = await import("node:fs");
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const f of readdirSync(dir)) statSync(resolve(dir, f)).isDirectory() ? walk(resolve(dir, f)) : f.endsWith(".eml") && files.push(resolve(dir, f));
    };
    walk(resolve(CORPUS_DIR, "eml"));
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) {
      const c = await readComplaint(readFileSync(f));
      expect(traceHeaders(c.headers, [host("nobody", ["nothing.invalid"])]).verdict, f).toBe("not-ours");
    }
  });
});
