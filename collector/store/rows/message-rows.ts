import type { Batch } from "../../../shared/gen/spamtrace/v1/ingest_pb.js";
import { toClickHouseDateTime } from "../clickhouse/datetime.js";
import type { Row } from "../clickhouse/store.js";

function batchKey(batch: Batch): Row {
  return { host_id: batch.hostId, stream_epoch: batch.streamEpoch.toString(), batch_seq: batch.seq.toString() };
}

/** Rows of `messages` for one batch: one per message the MTA accepted. */
export function messageRows(batch: Batch): Row[] {
  return batch.messages.map((m) => ({
    ...batchKey(batch),
    received_at: toClickHouseDateTime(Number(m.receivedAtUnixMs)),
    received_at_unix_ms: Number(m.receivedAtUnixMs),
    queue_id: m.queueId,
    message_id: m.messageId,
    sender: m.sender,
    null_sender: m.nullSender ? 1 : 0,
    sasl_user: m.saslUser,
    local_user: m.localUser,
    local_uid: m.localUid.toString(),
    script: m.script,
    client_ip: m.clientIp,
    client_host: m.clientHost,
    size_bytes: m.sizeBytes.toString(),
    recipient_count: m.recipientCount,
    protocol: m.protocol,
    source: m.source,
  }));
}

/** Rows of `message_deliveries` for one batch. */
export function messageDeliveryRows(batch: Batch): Row[] {
  return batch.messageDeliveries.map((d) => ({
    ...batchKey(batch),
    queue_id: d.queueId,
    recipient_domain: d.recipientDomain,
    outcome: d.outcome,
    count: d.count,
    first_at: toClickHouseDateTime(Number(d.firstAtUnixMs)),
    first_at_unix_ms: Number(d.firstAtUnixMs),
    last_at: toClickHouseDateTime(Number(d.lastAtUnixMs)),
    last_at_unix_ms: Number(d.lastAtUnixMs),
    relay: d.relay,
    status_text: d.statusText,
    dsn: d.dsn,
  }));
}
