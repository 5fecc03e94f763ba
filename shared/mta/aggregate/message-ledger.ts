import type { DeliveryEvent, MailEvent, MessageReceivedEvent } from "../events/mail-event.js";
import { domainOf, lowerCase, ownString } from "../text/mail-text.js";

/**
 * One message the MTA accepted (field names follow the MessageRecord message
 * of the probe contract). Strings are "" and numbers -1 when the log did not say.
 */
export interface MessageRow {
  received_at_unix_ms: number;
  queue_id: string;
  message_id: string;
  /** Envelope sender, "" for the null sender or when unknown (see null_sender). */
  sender: string;
  null_sender: boolean;
  sasl_user: string;
  /** User name, or `uid:N` when the uid has no name. */
  local_user: string;
  local_uid: number;
  script: string;
  client_ip: string;
  client_host: string;
  size_bytes: number;
  recipient_count: number;
  protocol: string;
  source: string;
}

/** Delivery outcomes of one message to one recipient domain with one outcome (MessageDelivery message). */
export interface DeliveryRow {
  queue_id: string;
  recipient_domain: string;
  outcome: DeliveryEvent["type"];
  /** Recipients (delivered, bounced) or attempts (deferred). */
  count: number;
  first_at_unix_ms: number;
  last_at_unix_ms: number;
  relay: string;
  status_text: string;
  dsn: string;
}

/** What drain() hands over. */
export interface MessageLedgerBatch {
  messages: MessageRow[];
  deliveries: DeliveryRow[];
}

/** Longest status text kept per delivery row (a remote's answer can be long). */
const MAX_STATUS_CHARS = 300;

/**
 * Keeps every accepted message and its delivery outcomes, per collect: a
 * "received" event gives one row, delivery events are summed per (queue id,
 * recipient domain, outcome). Like the windows, drain() hands over all it
 * holds, so a row travels with the cursors of exactly the lines it came from
 * and the spool's exactly-once delivery covers it. Outcomes of one message
 * can arrive in several rows (several collects); storage sums them.
 */
export class MessageLedger {
  private messages: MessageRow[] = [];
  private deliveries = new Map<string, DeliveryRow>();

  constructor(private readonly resolveUid?: (uid: number) => string | undefined) {}

  /** Takes one parsed event; events other than received/delivery ones are ignored. */
  add(event: MailEvent): void {
    switch (event.type) {
      case "received":
        this.messages.push(this.messageRow(event));
        return;
      case "delivered":
      case "deferred":
      case "bounced":
        this.addDelivery(event);
        return;
      default:
        return;
    }
  }

  /** Removes and returns everything held. */
  drain(): MessageLedgerBatch {
    const out = { messages: this.messages, deliveries: [...this.deliveries.values()] };
    this.messages = [];
    this.deliveries = new Map();
    return out;
  }

  private messageRow(e: MessageReceivedEvent): MessageRow {
    const local = e.local_user ?? (e.local_uid !== null ? (this.resolveUid?.(e.local_uid) ?? `uid:${e.local_uid}`) : null);
    return {
      received_at_unix_ms: e.ts_unix_ms,
      queue_id: ownString(e.queue_id),
      message_id: ownString(e.message_id ?? ""),
      sender: ownString(e.sender ?? ""),
      null_sender: e.null_sender,
      sasl_user: e.sasl_user === null ? "" : ownString(lowerCase(e.sasl_user)),
      local_user: local === null ? "" : ownString(local),
      local_uid: e.local_uid ?? -1,
      script: ownString(e.script ?? ""),
      client_ip: ownString(e.client_ip ?? ""),
      client_host: ownString(e.client_host ?? ""),
      size_bytes: e.size_bytes ?? -1,
      recipient_count: e.nrcpt ?? (e.recipients.length > 0 ? e.recipients.length : -1),
      protocol: ownString(e.protocol ?? ""),
      source: e.source,
    };
  }

  private addDelivery(e: DeliveryEvent): void {
    const domain = lowerCase(domainOf(e.recipient));
    const key = `${e.queue_id}\u0000${domain}\u0000${e.type}`;
    let row = this.deliveries.get(key);
    if (row === undefined) {
      row = { queue_id: ownString(e.queue_id), recipient_domain: ownString(domain), outcome: e.type, count: 0, first_at_unix_ms: e.ts_unix_ms, last_at_unix_ms: e.ts_unix_ms, relay: "", status_text: "", dsn: "" };
      this.deliveries.set(key, row);
    }
    row.count++;
    row.first_at_unix_ms = Math.min(row.first_at_unix_ms, e.ts_unix_ms);
    if (e.ts_unix_ms >= row.last_at_unix_ms) {
      row.last_at_unix_ms = e.ts_unix_ms;
      row.relay = ownString(e.relay ?? "");
      row.status_text = ownString((e.status_text ?? "").slice(0, MAX_STATUS_CHARS));
      row.dsn = ownString(e.dsn ?? "");
    }
  }
}
