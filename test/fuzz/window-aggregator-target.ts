import { WindowAggregator, type WindowBatch } from "../../shared/mta/aggregate/window-aggregator.js";
import type { MailEvent } from "../../shared/mta/events/mail-event.js";
import { MailLogParser } from "../../shared/mta/parse/mail-log-parser.js";
import { check, checkCount, sameTotal, type FuzzTarget } from "./fuzz-target.js";
import { REFERENCE_UNIX_MS } from "./mta-targets.js";
import { fuzzLine, type SeedPool } from "./fuzz-inputs.js";

const MAX_SAMPLES = 3;
/** Lines between two drainClosed calls, as a streaming probe flushes. */
const DRAIN_EVERY = 1_000;

/** Totals an aggregator must reproduce, summed from the events it was given. */
interface Totals {
  receivedBySender: number;
  deliveredBySender: number;
  rejectedByIp: number;
  authFailures: number;
  authSuccesses: number;
}

const zero = (): Totals => ({ receivedBySender: 0, deliveredBySender: 0, rejectedByIp: 0, authFailures: 0, authSuccesses: 0 });

function expect(t: Totals, e: MailEvent): void {
  if (e.type === "received" && e.sender !== null) t.receivedBySender++;
  else if (e.type === "delivered" && e.origin?.sender != null) t.deliveredBySender++;
  else if (e.type === "rejected" && e.client_ip !== null) t.rejectedByIp++;
  else if (e.type === "auth_failure") t.authFailures += e.attempts;
  else if (e.type === "auth_success") t.authSuccesses++;
}

function drained(t: Totals, batch: WindowBatch): void {
  for (const w of batch.identities) {
    for (const k of ["received", "delivered", "deferred", "bounced", "rejected", "relay_denied", "null_sender", "distinct_recipients", "distinct_recipient_domains", "distinct_client_ips", "distinct_failed_client_ips"] as const) {
      checkCount(w[k], `${w.kind} window ${k}`);
    }
    check(Number.isFinite(w.window_start_unix_ms), () => `window_start_unix_ms ${w.window_start_unix_ms} must be finite`);
    check(w.sample_lines.length <= MAX_SAMPLES && w.sample_queue_ids.length <= MAX_SAMPLES && w.sample_message_ids.length <= MAX_SAMPLES, "more samples than maxSamples");
    check(w.relay_denied <= w.rejected, "relay_denied > rejected");
    // The collector refuses a window that breaks this (validate-message.ts).
    check(w.distinct_failed_client_ips <= w.auth_failures, "distinct_failed_client_ips > auth_failures");
    if (w.kind === "envelope_sender") {
      t.receivedBySender += w.received;
      t.deliveredBySender += w.delivered;
    }
    if (w.kind === "client_ip") t.rejectedByIp += w.rejected;
  }
  for (const a of batch.auth) {
    check(Number.isFinite(a.window_start_unix_ms), () => `auth window_start_unix_ms ${a.window_start_unix_ms} must be finite`);
    check(a.sample_lines.length <= MAX_SAMPLES, "more auth samples than maxSamples");
    t.authFailures += a.failures;
    t.authSuccesses += a.successes;
  }
}

/**
 * WindowAggregator fed with the events MailLogParser (auto) produces from
 * fuzzed lines, drained as a probe drains it: what comes out per identity
 * must add up to what went in (received and delivered per envelope sender,
 * rejections per client IP, logins per auth window).
 */
export function windowAggregatorTarget(seeds: SeedPool): FuzzTarget<string> {
  return {
    name: "window-aggregator",
    weight: 1,
    timed: "line",
    generate: (rng) => fuzzLine(rng, seeds),
    session() {
      const aggregator = new WindowAggregator({ windowMs: 60_000, maxSamples: MAX_SAMPLES });
      const expected = zero();
      const actual = zero();
      let lines = 0;
      let withEvents = 0;
      let events = 0;
      let maxTs = -Infinity;
      const parser = new MailLogParser(
        (e) => {
          events++;
          expect(expected, e);
          if (e.ts_unix_ms > maxTs) maxTs = e.ts_unix_ms;
          aggregator.add(e);
        },
        { referenceUnixMs: () => REFERENCE_UNIX_MS, maxTrackedMessages: 2_000 },
      );
      return {
        feed(line) {
          const before = events;
          parser.parseLine(line);
          if (events > before) withEvents++;
          if (++lines % DRAIN_EVERY === 0) drained(actual, aggregator.drainClosed(maxTs));
        },
        finish() {
          drained(actual, aggregator.drainAll());
          for (const k of Object.keys(expected) as Array<keyof Totals>) {
            check(sameTotal(expected[k], actual[k]), () => `${k}: events say ${expected[k]}, windows say ${actual[k]}`);
          }
          return { unit: "lines", units: lines, recognised: withEvents, notes: `recognised = lines with events; ${events} events aggregated` };
        },
      };
    },
  };
}
