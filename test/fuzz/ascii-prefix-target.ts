import { isDeepStrictEqual } from "node:util";
import type { MailEvent } from "../../shared/mta/events/mail-event.js";
import { MailLogParser } from "../../shared/mta/parse/mail-log-parser.js";
import { AsciiPrefixReader } from "../../shared/mta/syslog/parse-syslog-prefix-ascii.js";
import { newLogLinePrefix, parseSyslogPrefix } from "../../shared/mta/syslog/parse-syslog-prefix.js";
import { LogClock } from "../../shared/mta/time/log-clock.js";
import type { FuzzRandom } from "./fuzz-random.js";
import { check, type FuzzTarget } from "./fuzz-target.js";
import { fuzzLine, type SeedPool } from "./fuzz-inputs.js";
import { REFERENCE_UNIX_MS } from "./mta-targets.js";

/** An ASCII line (non-ASCII characters of a fuzzed line become `?`; the byte path only ever sees ASCII chunks). */
function asciiLine(rng: FuzzRandom, seeds: SeedPool): string {
  return fuzzLine(rng, seeds).replace(/[^\x00-\x7f]/g, "?").replace(/\n/g, " ");
}

/** The line inside a chunk: other lines before and after it, as the reader hands it over. */
function inChunk(line: string): { text: string; bytes: Buffer; start: number; end: number } {
  const before = "Nov 29 07:04:10 mail postfix/smtpd[1]: connect from x[1.2.3.4]\n";
  const after = "\nNov 29 07:04:11 other postfix/qmgr[2]: ABCDEF12: removed\n";
  const text = before + line + after;
  return { text, bytes: Buffer.from(text, "latin1"), start: before.length, end: before.length + line.length };
}

/**
 * The byte fast path against the string path: AsciiPrefixReader may decline a
 * line, but when it takes one its fields must equal parseSyslogPrefix's; and
 * MailLogParser.parseAsciiLine must give the same answer, events and stats as
 * parseLine over the same stream of lines.
 */
export function asciiPrefixTarget(seeds: SeedPool): FuzzTarget<string> {
  return {
    name: "ascii-prefix",
    weight: 1,
    timed: "line",
    generate: (rng) => asciiLine(rng, seeds),
    session() {
      const clock = new LogClock(() => REFERENCE_UNIX_MS);
      const reader = new AsciiPrefixReader();
      const fast = newLogLinePrefix();
      const slow = newLogLinePrefix();
      const fastEvents: MailEvent[] = [];
      const slowEvents: MailEvent[] = [];
      const options = { referenceUnixMs: () => REFERENCE_UNIX_MS, maxTrackedMessages: 2_000 };
      const fastParser = new MailLogParser((e) => fastEvents.push(e), options);
      const slowParser = new MailLogParser((e) => slowEvents.push(e), options);
      let inputs = 0;
      let taken = 0;
      return {
        feed(line) {
          inputs++;
          const c = inChunk(line);
          if (reader.read(c.text, c.bytes, c.start, c.end, clock, fast)) {
            taken++;
            check(parseSyslogPrefix(line, clock, slow), "the byte path took a line parseSyslogPrefix refuses");
            check(isDeepStrictEqual(fast, slow), () => `byte path ${JSON.stringify(fast)} != string path ${JSON.stringify(slow)}`);
          }
          fastEvents.length = 0;
          slowEvents.length = 0;
          const a = fastParser.parseAsciiLine(c.text, c.bytes, c.start, c.end);
          const b = slowParser.parseLine(line);
          check(a === b, () => `parseAsciiLine ${a} != parseLine ${b}`);
          check(isDeepStrictEqual(fastEvents, slowEvents), () => `events differ: ${JSON.stringify(fastEvents)} vs ${JSON.stringify(slowEvents)}`);
        },
        finish() {
          check(isDeepStrictEqual(fastParser.stats, slowParser.stats), "parser stats differ between the byte and string paths");
          return { unit: "lines", units: inputs, recognised: taken, notes: "recognised = taken by the byte path" };
        },
      };
    },
  };
}
