/*
 * Inputs the fuzzer found to break a parser (fixed since), rebuilt at full
 * length (99,000 repeated characters) so every run checks them, not only the
 * runs whose seed meets them again. Each names the target that feeds it and
 * what the parser did before the fix (times measured on the dev machine).
 */
import type { FamilyInput } from "./mta-targets.js";
import type { ListingInput } from "./queue-targets.js";
import type { ProcNetTcpInput } from "./socket-targets.js";

/** One remembered input. */
export interface KnownHostileInput {
  /** Fuzz target that feeds it. */
  target: string;
  /** What the parser did with it before the fix. */
  was: string;
  input: string | FamilyInput | ListingInput | ProcNetTcpInput;
}

const LISTING_TIME = { nowUnixMs: Date.UTC(2026, 10, 29, 7, 0, 0) };
const LONG = 99_000;

/** The inputs, one or more per bug. */
export const KNOWN_HOSTILE_INPUTS: readonly KnownHostileInput[] = [
  { target: "lsof-socket-name", was: "quadratic \\s+ in the ' (STATE)' suffix strip: 10.5 s", input: " ".repeat(LONG) },
  { target: "lsof-socket-name", was: "same, tabs inside a name: 9.4 s", input: `*:ssh (LI${"\t".repeat(LONG)}STE1:25 (LISTEN)` },
  { target: "lsof-sockets", was: "same, through parseLsofSockets: 9.7 s", input: `p77\nf5\ntIPv4\nd1\nPTCP\nn192.0.2.7:50000->198.51.10${" ".repeat(LONG)}0.1:587\nTST=SYN_SENT\n` },
  { target: "lsof-process-paths", was: "quadratic LSOF_PATH_ERROR: 1.1 s", input: `p1\nfcwd\nn${" (stat: ".repeat(LONG / 8)}\n` },
  { target: "lsof-process-paths", was: "decodeLsofEscapes encoded each character apart: 55-70 ms (and emoji became two U+FFFD each)", input: `p9\nfcwd\nn/var/www/a b\\\\${"😀".repeat(LONG / 2)}\n` },
  {
    target: "proc-net-tcp",
    was: "the watched-port pre-check searched each line's colon with indexOf, scanning all following blank lines: 105 ms (quadratic)",
    input: { text: `${"\n".repeat(LONG)}😀`, proto: "tcp6", byteOrder: "LE", watchPorts: true },
  },
  { target: "ps-args", was: "\\s+ gave back blanks one by one before a \\r: 18.1 s", input: ` 7213${" ".repeat(LONG / 2)}${"rip=".repeat(LONG / 8)}\r\n` },
  {
    target: "qmail-qread",
    was: "\\s*(bouncing)?\\s*$ backtracked quadratically: 12.1 s",
    input: { text: `5 Nov 2026 09:07:00 GMT  #123  456  <>${" ".repeat(LONG)}x\n`, time: LISTING_TIME },
  },
  {
    target: "sendmail-mailq",
    was: "quadratic \\s+ in the '(no control file)' strip: 10.0 s",
    input: { text: `4ATKQ1qD001500      300 Thu Jan  1 00:05 <a@web1.ex${"\t".repeat(LONG)}ample>\n`, time: LISTING_TIME },
  },
  {
    target: "postqueue-text",
    was: "\\s+(.*)$ gave back blanks one by one before a U+2028, each rescanning the rest: 9.1 s",
    input: { text: `8038B17013E!     251 Sun Nov 29 09:02:24${" ".repeat(LONG)}a\u2028b\n`, time: LISTING_TIME },
  },
  {
    target: "sendmail-mailq",
    was: "same pattern in the entry line, before a \\r: 10.4 s",
    input: { text: `4ATKQ1qD001500      300 Thu Jan  1 00:05${" ".repeat(LONG)}<a\rb>\n`, time: LISTING_TIME },
  },
  {
    target: "family-parsers",
    was: "OpenSMTPD /<([^>]*)>/ retried from every '<': 8.8 s",
    input: { line: `Nov 29 07:04:10 mail smtpd[1]: 0123456789abcdef smtp failed-command command="RCPT TO:${"<".repeat(LONG)}" result="550 no"`, program: "smtpd", retag: false },
  },
  {
    target: "mail-log:auto",
    was: "same, through MailLogParser: 9.3 s",
    input: `Nov 29 07:04:10 mail smtpd[1]: 0123456789abcdef smtp event=failed-command command="MAIL FROM:${"<".repeat(LONG)}" result="421 busy"`,
  },
  ...["constructor", "__proto__", "toString", "hasOwnProperty"].map((name) => ({
    target: "postqueue-json",
    was: `queue_name "${name}" read Object.prototype: byQueue lost the message or held a string (then toBinary threw "invalid uint32: NaN")`,
    input: { text: `{"queue_name": "${name}", "queue_id": "8458F17013D", "arrival_time": 1795942944, "sender": "a@b.example", "recipients": [{"address": "c@d.example"}]}\n`, time: LISTING_TIME },
  })),
];
