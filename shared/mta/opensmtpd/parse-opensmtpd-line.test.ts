import { describe, expect, it } from "vitest";
import { corpusAvailable, corpusLine, local, parseAll } from "../corpus.test-support.js";
import type { MailEvent, MessageOrigin } from "../events/mail-event.js";

describe("OpensmtpdLineParser", () => {
  it.skipIf(!corpusAvailable)("corpus: every wazuh OpenSMTPD line recognised; 5.x Accepted message is a reception", () => {
    const l = Array.from({ length: 7 }, (_, i) => corpusLine("other-mta/wazuh-ruleset-tests-opensmtpd.log", i + 1));
    const { events, recognised } = parseAll(l);
    expect(recognised).toEqual(l.map(() => true));
    expect(events).toEqual([
      {
        type: "received", ts_unix_ms: local(2026, 8, 17, 1, 26, 2), source: "opensmtpd", raw: l[2], queue_id: "4296f490", sender: "root@ix.example.com", client_ip: null, client_host: null,
        sasl_user: null, local_user: null, local_uid: null, script: null, message_id: null, null_sender: false, size_bytes: 1746, nrcpt: 1, sasl_method: null, protocol: "ESMTP", bounce_of: null, recipients: ["ddp@ix.example.com"],
      },
    ]);
  });

  it("own lines: 6.x session with login, message, envelope and a remote delivery", () => {
    const l = [
      "Nov 29 07:42:00 mail smtpd[700]: 0a1b2c3d4e5f6a7b smtp connected address=127.0.0.41 host=laptop.example",
      "Nov 29 07:42:01 mail smtpd[700]: 0a1b2c3d4e5f6a7b smtp authentication user=petra result=ok",
      "Nov 29 07:42:02 mail smtpd[700]: 0a1b2c3d4e5f6a7b smtp message msgid=1f2e3d4c size=2048 nrcpt=1 proto=ESMTP",
      "Nov 29 07:42:02 mail smtpd[700]: 0a1b2c3d4e5f6a7b smtp envelope evpid=1f2e3d4c00000001 from=<petra@example.org> to=<v1@far.example>",
      'Nov 29 07:42:05 mail smtpd[700]: 9f8e7d6c5b4a3f2e mta delivery evpid=1f2e3d4c00000001 from=<petra@example.org> to=<v1@far.example> rcpt=<-> source="127.0.0.25" relay="192.0.2.80 (mx.far.example)" delay=3s result="Ok" stat="250 2.0.0 OK"',
    ];
    const { events, recognised } = parseAll(l);
    expect(recognised).toEqual(l.map(() => true));
    const o: MessageOrigin = { queue_id: "1f2e3d4c", sender: "petra@example.org", client_ip: "127.0.0.41", client_host: "laptop.example", sasl_user: "petra", local_user: null, local_uid: null, script: null, message_id: null };
    const expected: MailEvent[] = [
      { type: "auth_success", ts_unix_ms: local(2026, 11, 29, 7, 42, 1), source: "opensmtpd", raw: l[1]!, client_ip: "127.0.0.41", username: "petra", mechanism: null, service: "smtp", reason: null, attempts: 1 },
      { type: "received", ts_unix_ms: local(2026, 11, 29, 7, 42, 2), source: "opensmtpd", raw: l[2]!, ...o, sender: null, null_sender: false, size_bytes: 2048, nrcpt: 1, sasl_method: null, protocol: "ESMTP", bounce_of: null, recipients: [] },
      { type: "delivered", ts_unix_ms: local(2026, 11, 29, 7, 42, 5), source: "opensmtpd", raw: l[4]!, queue_id: "1f2e3d4c", recipient: "v1@far.example", orig_recipient: null, relay: "192.0.2.80 (mx.far.example)", dsn: null, status_text: "250 2.0.0 OK", origin: o },
    ];
    expect(events).toEqual(expected);
  });
});
