import { describe, expect, it } from "vitest";
import type { DeliveryEvent, MessageReceivedEvent } from "../../../shared/mta/events/mail-event.js";
import { ScriptAttributor } from "./script-attributor.js";
import type { ScriptSubmission } from "./script-submission.js";

const T = Date.UTC(2026, 11, 7, 5, 0, 0);
const received = (o: Partial<MessageReceivedEvent>): MessageReceivedEvent => ({
  type: "received", ts_unix_ms: T, source: "postfix", raw: "", queue_id: "Q1", sender: "webuser1@lab.test", client_ip: null, client_host: null, sasl_user: null,
  local_user: null, local_uid: 1001, script: null, message_id: "m1@lab.test", null_sender: false, size_bytes: 300, nrcpt: 1, sasl_method: null, protocol: null, bounce_of: null, recipients: [], ...o,
});
const submission = (o: Partial<ScriptSubmission>): ScriptSubmission => ({ source: "maildrop", tsUnixMs: T - 200, uid: 1001, script: "/home/webuser1/public_html/a.sh", line: null, sender: null, recipients: [], messageId: null, chain: [], raw: "", ...o });
const php = (o: Partial<ScriptSubmission>): ScriptSubmission => submission({ source: "php_mail_log", uid: null, script: "/var/www/app/contact.php", line: 12, recipients: ["x@example.com"], ...o });

describe("ScriptAttributor", () => {
  it("names a pickup of the same uid by its maildrop script, and the message's deliveries too", () => {
    const a = new ScriptAttributor();
    a.add(submission({}));
    expect(a.attribute(received({}))).toMatchObject({ script: "/home/webuser1/public_html/a.sh" });
    const delivery: DeliveryEvent = { type: "deferred", ts_unix_ms: T + 10, source: "postfix", raw: "", queue_id: "Q1", recipient: "x@example.com", orig_recipient: null, relay: null, dsn: null, status_text: null, origin: { ...received({}), script: null } };
    expect(a.attribute(delivery)).toMatchObject({ origin: { script: "/home/webuser1/public_html/a.sh" } });
    expect(a.stats).toEqual({ byMaildrop: 1, byPhpLog: 0, unmatched: 0 });
  });

  it("another uid, a different -f sender or a submission long before do not match", () => {
    const a = new ScriptAttributor();
    a.add(submission({ uid: 33 }));
    a.add(submission({ sender: "other@lab.test" }));
    a.add(submission({ tsUnixMs: T - 60_000 }));
    expect((a.attribute(received({})) as MessageReceivedEvent).script).toBe(null);
    expect(a.stats).toEqual({ byMaildrop: 0, byPhpLog: 0, unmatched: 1 });
  });

  it("one submission names one message: ten pickups take ten submissions in order", () => {
    const a = new ScriptAttributor();
    for (let i = 0; i < 10; i++) a.add(submission({ tsUnixMs: T + i * 100, script: `/s/${i}.sh` }));
    const names = Array.from({ length: 10 }, (_, i) => (a.attribute(received({ queue_id: `Q${i}`, ts_unix_ms: T + i * 100 })) as MessageReceivedEvent).script);
    expect(names).toEqual(Array.from({ length: 10 }, (_, i) => `/s/${i}.sh`));
  });

  it("PHP's mail.log names the php-fpm submission the maildrop ancestry could not, by Message-ID first", () => {
    const a = new ScriptAttributor();
    a.add(submission({ script: null, chain: [{ pid: 9, comm: "php-fpm8.2", argv: ["php-fpm: pool www"], cwd: "/", exe: null }] }));
    a.add(php({ script: "/var/www/app/other.php", messageId: "m9@app" }));
    a.add(php({ messageId: null }));
    expect((a.attribute(received({ message_id: "m9@app" })) as MessageReceivedEvent).script).toBe("/var/www/app/other.php");
    expect((a.attribute(received({ queue_id: "Q2" })) as MessageReceivedEvent).script).toBe("/var/www/app/contact.php");
    expect(a.stats.byPhpLog).toBe(2);
  });

  it("a PHP line is not taken by a shell script's message, nor by a message with another recipient count", () => {
    const a = new ScriptAttributor();
    a.add(php({}));
    a.add(submission({ script: "/home/u/cron.sh", chain: [{ pid: 9, comm: "sh", argv: ["sh", "/home/u/cron.sh"], cwd: "/", exe: null }] }));
    expect((a.attribute(received({})) as MessageReceivedEvent).script).toBe("/home/u/cron.sh");
    expect((a.attribute(received({ queue_id: "Q2", nrcpt: 3 })) as MessageReceivedEvent).script).toBe(null);
    expect((a.attribute(received({ queue_id: "Q3" })) as MessageReceivedEvent).script).toBe("/var/www/app/contact.php");
  });

  it("a full path replaces PHP's uid:file header; Exim's cwd= and SMTP messages are left alone", () => {
    const a = new ScriptAttributor();
    a.add(submission({}));
    expect((a.attribute(received({ script: "/var/www/x" })) as MessageReceivedEvent).script).toBe("/var/www/x");
    expect((a.attribute(received({ local_uid: null, client_ip: "192.0.2.1" })) as MessageReceivedEvent).script).toBe(null);
    expect((a.attribute(received({ script: "1001:a.sh" })) as MessageReceivedEvent).script).toBe("/home/webuser1/public_html/a.sh");
  });
  it("a PHP ancestry naming its file does not take another script's PHP line close in time; an included file of its tree is taken", () => {
    const a = new ScriptAttributor();
    const chain = (file: string, cwd: string) => [{ pid: 9, comm: "php8.2", argv: ["php", file], cwd, exe: "/usr/bin/php8.2" }];
    // cache.php (no mail.log of its own) submits just before another app's mail() calls are logged.
    a.add(submission({ script: "/home/w/public_html/wp-content/uploads/cache.php", chain: chain("cache.php", "/home/w/public_html/wp-content/uploads") }));
    a.add(php({ script: "/home/w/public_html/wp-content/plugins/forms/inc.php", tsUnixMs: T + 500 }));
    expect((a.attribute(received({})) as MessageReceivedEvent).script).toBe("/home/w/public_html/wp-content/uploads/cache.php");
    // The plugin's own php-fpm submission (no file on the command line) still gets its line.
    a.add(submission({ script: null, tsUnixMs: T + 600, chain: [{ pid: 10, comm: "php-fpm8.2", argv: ["php-fpm: pool www"], cwd: "/", exe: null }] }));
    expect((a.attribute(received({ queue_id: "Q2", ts_unix_ms: T + 700 })) as MessageReceivedEvent).script).toBe("/home/w/public_html/wp-content/plugins/forms/inc.php");
    // php wp-cron.php whose mail() sits in a plugin of the same site: PHP's line names the plugin file.
    a.add(submission({ script: "/var/www/site/wp-cron.php", tsUnixMs: T + 800, chain: chain("/var/www/site/wp-cron.php", "/") }));
    a.add(php({ script: "/var/www/site/wp-content/plugins/news/send.php", tsUnixMs: T + 800 }));
    expect((a.attribute(received({ queue_id: "Q3", ts_unix_ms: T + 900 })) as MessageReceivedEvent).script).toBe("/var/www/site/wp-content/plugins/news/send.php");
  });
});
