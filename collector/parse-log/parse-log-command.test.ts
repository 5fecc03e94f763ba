import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { MailLogParser } from "../../shared/mta/parse/mail-log-parser.js";
import { parseLogFiles, type ParseLogIdentity } from "./parse-log-command.js";
import { readLogLineRanges, readLogLines } from "./read-log-lines.js";

const FIXTURES = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../test/fixtures/mta-logs");
const tmp = mkdtempSync(join(tmpdir(), "spamtrace-parse-log-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const zero = { received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0, relay_denied: 0, auth_failures: 0, auth_successes: 0, null_sender: 0, distinct_recipients: 0, distinct_recipient_domains: 0, distinct_client_ips: 0, distinct_failed_client_ips: 0 };
const id = (kind: ParseLogIdentity["kind"], key: string, sample_queue_ids: string[], c: Partial<ParseLogIdentity>): ParseLogIdentity => ({ kind, key, ...zero, ...c, sample_queue_ids });

describe("parseLogFiles", () => {
  it("Exim lab mainlog: auto-detected, exact totals per identity, sorted by received then key", async () => {
    const report = await parseLogFiles({ mta: "auto", files: [join(FIXTURES, "exim-mainlog-lab.log")] });
    const script = "/var/www/site1/wp-content/plugins/forms";
    const sent = { received: 1, delivered: 1, distinct_recipients: 1, distinct_recipient_domains: 1 };
    const auth = { received: 1, deferred: 1, bounced: 1, distinct_recipients: 2, distinct_recipient_domains: 2 };
    // A rejected client that never logged in is not an address of the identity.
    const relay = { rejected: 1, relay_denied: 1, distinct_recipients: 1, distinct_recipient_domains: 1 };
    expect(report).toEqual({
      mta: "exim",
      lines: 12,
      recognised: 12,
      unrecognised: 0,
      unrecognised_examples: [],
      identities: [
        id("script", script, ["1vP5aB-00000A-Xy"], sent),
        id("client_ip", "127.0.0.41", ["1vP5aC-00000B-Zz"], { ...auth, auth_successes: 1, distinct_client_ips: 1 }),
        id("envelope_sender", "<>", ["1vP5aD-00000C-Ww"], { received: 1, null_sender: 1 }),
        id("local_user", "Debian-exim", ["1vP5aD-00000C-Ww"], { received: 1, null_sender: 1 }),
        id("envelope_sender", "info@customer.example", ["1vP5aC-00000B-Zz"], { ...auth, distinct_client_ips: 1 }),
        // 127.0.0.41 logged in and sent; 127.0.0.42 only failed to log in as the user.
        id("sasl_user", "info@customer.example", ["1vP5aC-00000B-Zz"], { ...auth, auth_successes: 1, auth_failures: 1, distinct_client_ips: 1, distinct_failed_client_ips: 1 }),
        id("local_user", "webuser1", ["1vP5aB-00000A-Xy"], sent),
        id("envelope_sender", "webuser1@host.example", ["1vP5aB-00000A-Xy"], sent),
        id("client_ip", "127.0.0.42", [], { auth_failures: 1, distinct_failed_client_ips: 1 }),
        id("client_ip", "127.0.0.77", [], relay),
        id("envelope_sender", "spammer@forged.example", [], relay),
      ],
      recognised_by_source: { postfix: 0, exim: 12, sendmail: 0, qmail: 0, dovecot: 0, opensmtpd: 0, courier: 0 },
      events: { received: 3, delivered: 1, deferred: 1, bounced: 1, rejected: 1, auth_failures: 1, auth_successes: 1 },
      auth: [
        { client_ip: "127.0.0.42", username: "info@customer.example", failures: 1, successes: 0 },
        { client_ip: "127.0.0.41", username: "info@customer.example", failures: 0, successes: 1 },
      ],
    });
  });

  it("reads gzip (by magic bytes, whatever the name) and plain files in order; quotes unrecognised lines", async () => {
    const gz = join(tmp, "maillog.1");
    writeFileSync(gz, gzipSync(readFileSync(join(FIXTURES, "postfix-submission-lab.log"))));
    const report = await parseLogFiles({ mta: "auto", files: [gz, join(FIXTURES, "exim-mainlog-lab.log")] });
    expect(report.mta).toBe("postfix");
    expect([report.lines, report.recognised, report.unrecognised]).toEqual([41, 40, 1]);
    expect(report.unrecognised_examples).toEqual(["this line is not a mail log line"]);
    expect(report.recognised_by_source).toEqual({ postfix: 28, exim: 12, sendmail: 0, qmail: 0, dovecot: 0, opensmtpd: 0, courier: 0 });
    expect(report.events).toEqual({ received: 6, delivered: 4, deferred: 4, bounced: 2, rejected: 3, auth_failures: 3, auth_successes: 2 });
    // 10 Postfix + 11 Exim identities, four shared: the null sender, the forged relay sender, 127.0.0.77 and 127.0.0.41.
    expect(report.identities).toHaveLength(17);
    expect(report.identities[0]).toEqual({ ...zero, kind: "envelope_sender", key: "<>", received: 2, null_sender: 2, delivered: 1, distinct_recipients: 1, distinct_recipient_domains: 1, sample_queue_ids: ["9F8E7D6C5B", "1vP5aD-00000C-Ww"] });
    expect(report.identities.find((i) => i.key === "spammer@forged.example")).toMatchObject({ rejected: 3, relay_denied: 3, distinct_recipients: 2, distinct_client_ips: 0, distinct_failed_client_ips: 0 });
  });

  it("--mta names the parsers: an Exim log read as Postfix recognises nothing", async () => {
    const report = await parseLogFiles({ mta: "postfix", files: [join(FIXTURES, "exim-mainlog-lab.log")] });
    expect([report.mta, report.recognised, report.unrecognised, report.identities.length]).toEqual(["postfix", 0, 12, 0]);
    expect(report.unrecognised_examples).toHaveLength(10);
  });

  it("counts the same on ASCII chunks (byte fast path) and on chunks with UTF-8 (string path)", async () => {
    const ascii = readFileSync(join(FIXTURES, "postfix-submission-lab.log"), "latin1");
    expect(Buffer.from(ascii, "latin1").every((b) => b < 128)).toBe(true);
    // The same lines with a UTF-8 name in a rejected HELO: the whole chunk goes through the string path.
    const utf8 = `${ascii}Nov 29 07:05:00 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[127.0.0.9]: 554 5.7.1 <x@y.example>: Relay access denied; from=<Grüße@forged.example> to=<x@y.example> proto=ESMTP helo=<é>\n`;
    const a = join(tmp, "ascii.log");
    const u = join(tmp, "utf8.log");
    writeFileSync(a, ascii);
    writeFileSync(u, utf8);
    const fast = await parseLogFiles({ mta: "postfix", files: [a] });
    const slow = await parseLogFiles({ mta: "postfix", files: [u] });
    // Reference: parseLine over the lines, the path the probe's tailer takes.
    const reference = new MailLogParser(() => {}, { mta: "postfix" });
    for (const line of ascii.split("\n").slice(0, -1)) reference.parseLine(line);
    expect([fast.lines, fast.recognised]).toEqual([reference.stats.lines, reference.stats.recognised]);
    expect([slow.lines, slow.recognised]).toEqual([fast.lines + 1, fast.recognised + 1]);
    expect(slow.events).toEqual({ ...fast.events, rejected: fast.events.rejected + 1 });
    expect(slow.identities.find((i) => i.key === "grüße@forged.example")).toMatchObject({ rejected: 1, relay_denied: 1 });
    const withoutNew = slow.identities.filter((i) => i.key !== "grüße@forged.example" && i.key !== "127.0.0.9");
    expect(withoutNew).toEqual(fast.identities);
  });

  it("fails naming the file when one is missing", async () => {
    const missing = join(tmp, "no-such.log");
    await expect(parseLogFiles({ mta: "auto", files: [missing] })).rejects.toThrow(`cannot read log file ${missing}: no such file`);
  });
});

describe("readLogLines", () => {
  it("splits LF and CRLF, keeps a last line without newline, decodes UTF-8", async () => {
    const f = join(tmp, "lines.log");
    writeFileSync(f, "a\r\nb\n\nSubject: Grüße ✓\nlast");
    const lines: string[] = [];
    await readLogLines(f, (l) => lines.push(l));
    expect(lines).toEqual(["a", "b", "", "Subject: Grüße ✓", "last"]);
  });

  it("joins lines cut by chunk boundaries (1 MiB reads), also a line longer than two chunks and a CRLF cut between \\r and \\n", async () => {
    const parts: string[] = [];
    for (let i = 0, size = 0; size < 3_500_000; i++) {
      parts.push(i % 997 === 0 ? `line ${i} ü` : `line ${i} ${"x".repeat(i % 300)}`);
      size += (parts.at(-1) as string).length + 1;
    }
    parts.splice(5000, 0, `long ${"y".repeat(2_500_000)}`); // spans three 1 MiB reads
    const text = `${parts.join("\n")}\r\nlast`;
    for (const [name, data] of [["plain.log", Buffer.from(text)], ["cut.log.gz", gzipSync(Buffer.from(text))]] as const) {
      const f = join(tmp, name);
      writeFileSync(f, data);
      const lines: string[] = [];
      await readLogLines(f, (l) => lines.push(l));
      expect(lines).toEqual([...parts, "last"]);
    }
    // A CRLF whose \r ends the first 1 MiB read.
    const crlf = `${"z".repeat((1 << 20) - 1)}\r\nnext\r\n`;
    const f = join(tmp, "crlf.log");
    writeFileSync(f, crlf);
    const lines: string[] = [];
    await readLogLines(f, (l) => lines.push(l));
    expect(lines).toEqual(["z".repeat((1 << 20) - 1), "next"]);
  });

  it("gives the ASCII lines of a chunk with UTF-8 in it as byte ranges, the others decoded (invalid bytes as U+FFFD)", async () => {
    const f = join(tmp, "mixed.log");
    writeFileSync(f, Buffer.concat([Buffer.from("plain one\r\nSubject: Grüße\n"), Buffer.from([0x62, 0xff, 0x0a]), Buffer.from("plain two\n")]));
    const seen: string[] = [];
    await readLogLineRanges(f, { ascii: (text, bytes, start, end) => seen.push(`ascii ${text.slice(start, end)} ${Buffer.from(bytes.subarray(start, end)).toString("latin1")}`), line: (l) => seen.push(`line ${l}`) });
    expect(seen).toEqual(["ascii plain one plain one", "line Subject: Grüße", "line b\ufffd", "ascii plain two plain two"]);
  });

  it("reads an empty file as no lines", async () => {
    const f = join(tmp, "empty.log");
    writeFileSync(f, "");
    const lines: string[] = [];
    await readLogLines(f, (l) => lines.push(l));
    expect(lines).toEqual([]);
  });
});
