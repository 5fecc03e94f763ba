import type { MessageOrigin } from "../events/mail-event.js";
import { BoundedLruMap } from "../state/bounded-lru-map.js";
import { isLoopback } from "../text/mail-text.js";

/** How long after a message was received a loopback re-submission with its Message-ID still continues it. */
export const CONTINUATION_WINDOW_MS = 3_600_000;
/** Message-IDs remembered for continuation matching. */
export const MAX_CONTINUATION_IDS = 50_000;

/**
 * Joins the two queue entries one message gets when it passes through this
 * host twice: a content filter (amavis takes it on 127.0.0.1:10024 and
 * re-injects it on :10025) or Sendmail's MSP handing local mail to the MTA on
 * 127.0.0.1. The second entry is recognised by the same Message-ID arriving
 * from loopback without its own login or uid: it inherits the first one's
 * sender identities (so its real deliveries are attributed to the SASL user,
 * local user or script behind it) and is not counted as received again; the
 * first entry's hand-off to the loopback relay is not counted as a delivery.
 */
export class RelayContinuations {
  // Entries older than the window can continue nothing: dropped as log time passes (with the origins they
  // hold, which would otherwise outlive their messages: 50,000 of them were a third of parse-log's heap).
  private readonly byMessageId = new BoundedLruMap<string, { origin: MessageOrigin; ts: number }>(MAX_CONTINUATION_IDS, { idleExpiryMs: CONTINUATION_WINDOW_MS + 60_000 });
  private readonly handedOff = new WeakSet<MessageOrigin>();

  /** Remembers a received message that later loopback submissions may continue. */
  register(origin: MessageOrigin, tsUnixMs: number): void {
    this.byMessageId.advance(tsUnixMs);
    if (origin.message_id !== null && origin.message_id.length > 0) this.byMessageId.set(origin.message_id, { origin, ts: tsUnixMs });
  }

  /**
   * The origin `self` continues, or null: `self` must come from loopback with
   * no login or uid of its own, and an earlier message with its Message-ID
   * must have been received within the window. Marks the earlier one handed off.
   */
  continuationOf(self: MessageOrigin, tsUnixMs: number): MessageOrigin | null {
    this.byMessageId.advance(tsUnixMs);
    if (self.message_id === null || self.sasl_user !== null || self.local_uid !== null) return null;
    if (!isLoopback(self.client_ip) && self.client_host !== "localhost") return null;
    const prev = this.byMessageId.peek(self.message_id);
    if (prev === undefined || prev.origin === self || tsUnixMs - prev.ts > CONTINUATION_WINDOW_MS || tsUnixMs < prev.ts - 60_000) return null;
    this.handedOff.add(prev.origin);
    return prev.origin;
  }

  /** True when a delivery of `origin` to `relay` is the hand-off to a loopback filter or MTA that re-submitted it. */
  isHandOff(origin: MessageOrigin | null, relay: string | null): boolean {
    if (origin === null || relay === null || !this.handedOff.has(origin)) return false;
    return relay.includes("[127.") || relay.includes("[::1]") || relay.startsWith("127.") || relay.startsWith("localhost") || relay.startsWith("[127.");
  }
}
