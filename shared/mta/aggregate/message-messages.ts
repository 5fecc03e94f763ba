import { create } from "@bufbuild/protobuf";
import { MessageDeliverySchema, MessageRecordSchema, type MessageDelivery, type MessageRecord } from "../../gen/spamtrace/v1/ingest_pb.js";
import type { DeliveryRow, MessageRow } from "./message-ledger.js";

// The ledger's rows as the messages a Batch carries (probe, and tests that write as a probe would).

/** A message row as a MessageRecord message. */
export function toMessageRecord(m: MessageRow): MessageRecord {
  return create(MessageRecordSchema, {
    receivedAtUnixMs: BigInt(m.received_at_unix_ms),
    queueId: m.queue_id,
    messageId: m.message_id,
    sender: m.sender,
    nullSender: m.null_sender,
    saslUser: m.sasl_user,
    localUser: m.local_user,
    localUid: wholeOr(m.local_uid),
    script: m.script,
    clientIp: m.client_ip,
    clientHost: m.client_host,
    sizeBytes: wholeOr(m.size_bytes),
    recipientCount: m.recipient_count,
    protocol: m.protocol,
    source: m.source,
  });
}

/** A delivery row as a MessageDelivery message. */
export function toMessageDelivery(d: DeliveryRow): MessageDelivery {
  return create(MessageDeliverySchema, {
    queueId: d.queue_id,
    recipientDomain: d.recipient_domain,
    outcome: d.outcome,
    count: d.count,
    firstAtUnixMs: BigInt(d.first_at_unix_ms),
    lastAtUnixMs: BigInt(d.last_at_unix_ms),
    relay: d.relay,
    statusText: d.status_text,
    dsn: d.dsn,
  });
}

// A garbled log number (NaN, 1e400) must not cost the batch: it travels as "unknown".
function wholeOr(n: number): bigint {
  return Number.isSafeInteger(n) ? BigInt(n) : -1n;
}
