import type { DeliveryEvent } from "../events/mail-event.js";
import { domainOf } from "../text/mail-text.js";
import type { RelayJudge } from "../relay/relay-policy.js";

/** Messages (and message/recipient pairs) remembered as already counted; the oldest are forgotten past this. */
const MAX_REMEMBERED = 50_000;

/** What one delivery attempt adds to its client's relay counts. */
export interface RelayCount {
  /** The client the message came from. */
  clientIp: string;
  /** True the first time a message of this client is seen going to an unserved domain. */
  message: boolean;
  /** True the first time this recipient of the message is seen. */
  recipient: boolean;
}

/**
 * Judges delivery attempts by destination and permission: a message accepted
 * from a client that neither authenticated nor is in the permitted networks,
 * for a domain the host does not serve, is relayed — whatever delivery agent
 * then takes it (Postfix's smtp, or error/retry once the next hop is marked
 * dead; Exim's remote_smtp or a defer). Every attempt is looked at, not just
 * the sampled lines; each message and recipient counts once, on the first
 * attempt seen (retries do not inflate the count, even in later windows).
 * Mail forwarded by an alias (orig_to in a served domain) is not relayed.
 */
export class RelayCounter {
  private readonly messages = new Set<string>();
  private readonly recipients = new Set<string>();

  /** @param judge the policy in force now; undefined while the probe knows none (nothing is counted). */
  constructor(private readonly judge: () => RelayJudge | undefined) {}

  /** Adds a delivery attempt's relay counts to its client's counters (`counters(clientIp)`); nothing when it is not relaying. */
  add(event: DeliveryEvent, counters: (clientIp: string) => { relayed: number; relayed_recipients: number }): void {
    const r = this.count(event);
    if (r === null) return;
    const c = counters(r.clientIp);
    if (r.message) c.relayed++;
    if (r.recipient) c.relayed_recipients++;
  }

  /** The counts one delivery attempt adds, or null when it is not relaying. */
  count(event: DeliveryEvent): RelayCount | null {
    const o = event.origin;
    if (o === null || o.client_ip === null || o.sasl_user !== null) return null;
    const judge = this.judge();
    if (judge === undefined || judge.permits(o.client_ip)) return null;
    // An alias or forward re-sends mail that came in for a served address.
    const addressed = event.orig_recipient ?? event.recipient;
    if (judge.serves(domainOf(addressed.toLowerCase())) !== false) return null;
    if (judge.serves(domainOf(event.recipient.toLowerCase())) !== false) return null;
    const messageKey = `${event.source} ${event.queue_id}`;
    const message = remember(this.messages, messageKey);
    const recipient = remember(this.recipients, `${messageKey} ${event.recipient.toLowerCase()}`);
    return { clientIp: o.client_ip, message, recipient };
  }
}

/** Adds `key` to a bounded insertion-ordered set; true when it was new. */
function remember(set: Set<string>, key: string): boolean {
  if (set.has(key)) return false;
  set.add(key);
  if (set.size > MAX_REMEMBERED) {
    const oldest = set.values().next();
    if (oldest.done !== true) set.delete(oldest.value);
  }
  return true;
}
