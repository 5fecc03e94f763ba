import { EximBpParser, parseEximBpc } from "../../probe/collect/queue/parse-exim-bp.js";
import { PostqueueJsonParser } from "../../probe/collect/queue/parse-postqueue-json.js";
import { PostqueueTextParser } from "../../probe/collect/queue/parse-postqueue-text.js";
import { parseQmailQstat, QmailQreadParser } from "../../probe/collect/queue/parse-qmail-queue.js";
import { SendmailMailqParser } from "../../probe/collect/queue/parse-sendmail-mailq.js";
import type { QueueSnapshot } from "../../probe/collect/queue/queue-snapshot.js";
import type { ListingTimeOptions } from "../../probe/collect/queue/resolve-listing-time.js";
import type { FuzzRandom } from "./fuzz-random.js";
import { check, checkCount, checkNumberFromText, type FuzzTarget } from "./fuzz-target.js";
import { fuzzDocument } from "./fuzz-inputs.js";
import type { FuzzSeeds } from "./load-seeds.js";

/** When the listings were taken: 2026-11-29 07:00 UTC, as in the fixtures. */
const OBSERVED_AT_UNIX_MS = Date.UTC(2026, 10, 29, 7, 0, 0);

/** Checks a snapshot's totals against each other and against the number of lines it was made from. */
export function checkSnapshot(s: QueueSnapshot, lines: number): void {
  for (const k of ["total", "frozenOrHeld", "nullSender", "recipients", "skippedLines"] as const) checkCount(s[k], k);
  if (s.oldestAgeSeconds !== null) checkNumberFromText(s.oldestAgeSeconds, "oldestAgeSeconds");
  check(s.observedAtUnixMs === OBSERVED_AT_UNIX_MS, "observedAtUnixMs changed");
  const queues = Object.entries(s.byQueue);
  for (const [queue, n] of queues) checkCount(n, `byQueue[${JSON.stringify(queue)}]`);
  const sum = queues.reduce((a, [, n]) => a + n, 0);
  check(sum === s.total, () => `byQueue adds up to ${sum}, total is ${s.total} (${JSON.stringify(s.byQueue)})`);
  check(Object.getPrototypeOf(s.byQueue) === Object.prototype || Object.getPrototypeOf(s.byQueue) === null, "byQueue lost its prototype");
  check(s.frozenOrHeld <= s.total && s.nullSender <= s.total, "frozenOrHeld or nullSender > total");
  check(s.total + s.skippedLines <= lines, () => `${s.total} messages + ${s.skippedLines} skipped lines from ${lines} lines`);
  check(s.topSenders.length <= 10 && s.topRecipientDomains.length <= 10, "more than 10 top entries");
  const senders = s.topSenders.reduce((a, k) => a + k.count, 0);
  const domains = s.topRecipientDomains.reduce((a, k) => a + k.count, 0);
  check(senders <= s.total, () => `top senders count ${senders} > total ${s.total}`);
  check(domains <= s.recipients, () => `top domains count ${domains} > recipients ${s.recipients}`);
}

function time(rng: FuzzRandom): ListingTimeOptions {
  return rng.chance(0.5) ? { nowUnixMs: OBSERVED_AT_UNIX_MS } : { nowUnixMs: OBSERVED_AT_UNIX_MS, utcOffsetMinutes: rng.pick([0, 60, -300, 330, 840, -720]) };
}

/** A listing document plus how to read its times. */
export interface ListingInput {
  text: string;
  time: ListingTimeOptions;
}

/** The streaming interface every listing parser class has (the probe feeds it the command's output line by line). */
interface ListingParser {
  line(text: string): void;
  finish(): QueueSnapshot;
}

/**
 * A listing parser class: each input is a (mutated) listing fed line by line
 * to a fresh parser, as the probe streams a command's output; the bound
 * applies to each line. Recognised = lines not skipped.
 */
function listingTarget(name: string, documents: readonly string[], foreign: readonly string[], create: (time: ListingTimeOptions) => ListingParser): FuzzTarget<ListingInput> {
  return {
    name,
    weight: 0.5,
    timed: "listing line",
    generate: (rng) => ({ text: fuzzDocument(rng, documents, foreign), time: time(rng) }),
    text: (input) => input.text,
    session() {
      let lines = 0;
      let skipped = 0;
      let messages = 0;
      return {
        feed(input) {
          const parser = create(input.time);
          const listing = input.text.split("\n");
          let slowest = 0;
          for (const line of listing) {
            const t0 = performance.now();
            parser.line(line);
            slowest = Math.max(slowest, performance.now() - t0);
          }
          const t0 = performance.now();
          const snapshot = parser.finish();
          slowest = Math.max(slowest, performance.now() - t0);
          checkSnapshot(snapshot, listing.length);
          lines += listing.length;
          skipped += snapshot.skippedLines;
          messages += snapshot.total;
          return slowest;
        },
        finish: () => ({ unit: "lines", units: lines, recognised: lines - skipped, notes: `${messages} messages` }),
      };
    },
  };
}

/** A one-number (or two-number) output parser: the result is null or numbers read from the text. */
function countTarget(name: string, documents: readonly string[], foreign: readonly string[], parse: (text: string) => unknown): FuzzTarget<string> {
  return {
    name,
    weight: 0.25,
    timed: "document",
    generate: (rng) => fuzzDocument(rng, documents, foreign),
    session() {
      let inputs = 0;
      let recognised = 0;
      return {
        feed(text) {
          inputs++;
          const out = parse(text);
          if (out === null) return;
          recognised++;
          for (const [k, v] of Object.entries(typeof out === "number" ? { count: out } : (out as Record<string, unknown>))) checkNumberFromText(v, k);
        },
        finish: () => ({ unit: "inputs", units: inputs, recognised }),
      };
    },
  };
}

/** Targets of the queue listing parsers. */
export function queueTargets(seeds: FuzzSeeds): Array<FuzzTarget<ListingInput> | FuzzTarget<string>> {
  const q = seeds.queue;
  const foreign = seeds.queueLines;
  return [
    listingTarget("postqueue-json", q.postqueueJson, foreign, (t) => new PostqueueJsonParser(t.nowUnixMs)),
    listingTarget("postqueue-text", q.postqueueText, foreign, (t) => new PostqueueTextParser(t)),
    listingTarget("exim-bp", q.eximBp, foreign, (t) => new EximBpParser(t.nowUnixMs)),
    countTarget("exim-bpc", q.eximBpc, foreign, parseEximBpc),
    listingTarget("sendmail-mailq", q.sendmailMailq, foreign, (t) => new SendmailMailqParser(t)),
    listingTarget("qmail-qread", q.qmailQread, foreign, (t) => new QmailQreadParser(t.nowUnixMs)),
    countTarget("qmail-qstat", q.qmailQstat, foreign, parseQmailQstat),
  ];
}
