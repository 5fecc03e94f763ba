import type { Batch } from "../../../shared/gen/spamtrace/v1/ingest_pb.js";
import { toClickHouseDateTime } from "../clickhouse/datetime.js";
import type { Row } from "../clickhouse/store.js";

function batchKey(batch: Batch): Row {
  return { host_id: batch.hostId, stream_epoch: batch.streamEpoch.toString(), batch_seq: batch.seq.toString() };
}

/** Rows of `queue_snapshots` for one batch. */
export function queueRows(batch: Batch): Row[] {
  return batch.queueSnapshots.map((q) => ({
    ...batchKey(batch),
    observed_at: toClickHouseDateTime(Number(q.observedAtUnixMs)),
    observed_at_unix_ms: Number(q.observedAtUnixMs),
    mta: q.mta,
    source: q.source,
    complete: q.complete ? 1 : 0,
    total: q.total,
    by_queue_names: q.byQueue.map((k) => k.key),
    by_queue_counts: q.byQueue.map((k) => k.count),
    frozen_or_held: q.frozenOrHeld,
    oldest_age_seconds: Number(q.oldestAgeSeconds),
    null_sender: q.nullSender,
    recipients: q.recipients,
    top_senders: q.topSenders.map((k) => k.key),
    top_sender_counts: q.topSenders.map((k) => k.count),
    top_recipient_domains: q.topRecipientDomains.map((k) => k.key),
    top_recipient_domain_counts: q.topRecipientDomains.map((k) => k.count),
  }));
}

/** Rows of `mail_windows` for one batch. */
export function mailWindowRows(batch: Batch): Row[] {
  return batch.mailWindows.map((w) => ({
    ...batchKey(batch),
    window_start: toClickHouseDateTime(Number(w.windowStartUnixMs)),
    window_start_unix_ms: Number(w.windowStartUnixMs),
    window_seconds: w.windowSeconds,
    identity_kind: w.identityKind,
    identity: w.identity,
    received: w.received,
    delivered: w.delivered,
    deferred: w.deferred,
    bounced: w.bounced,
    rejected: w.rejected,
    relay_denied: w.relayDenied,
    auth_failures: w.authFailures,
    auth_successes: w.authSuccesses,
    null_sender: w.nullSender,
    distinct_recipients: w.distinctRecipients,
    distinct_recipient_domains: w.distinctRecipientDomains,
    distinct_client_ips: w.distinctClientIps,
    distinct_failed_client_ips: w.distinctFailedClientIps,
    relayed: w.relayed,
    relayed_recipients: w.relayedRecipients,
    sample_queue_ids: w.sampleQueueIds,
    sample_message_ids: w.sampleMessageIds,
    sample_lines: w.sampleLines,
  }));
}

/** Rows of `auth_windows` for one batch. */
export function authWindowRows(batch: Batch): Row[] {
  return batch.authWindows.map((w) => ({
    ...batchKey(batch),
    window_start: toClickHouseDateTime(Number(w.windowStartUnixMs)),
    window_start_unix_ms: Number(w.windowStartUnixMs),
    window_seconds: w.windowSeconds,
    client_ip: w.clientIp,
    username: w.username,
    failures: w.failures,
    successes: w.successes,
    services: w.services,
    sample_lines: w.sampleLines,
  }));
}

/** Rows of `log_read_stats` for one batch. */
export function logStatRows(batch: Batch): Row[] {
  return batch.logStats.map((l) => ({
    ...batchKey(batch),
    observed_at: toClickHouseDateTime(Number(batch.createdAtUnixMs)),
    path: l.path,
    lines: l.lines.toString(),
    recognised: l.recognised.toString(),
    unrecognised: l.unrecognised.toString(),
    rotations: l.rotations,
  }));
}

/** Rows of `script_submissions` for one batch. */
export function scriptSubmissionRows(batch: Batch): Row[] {
  return batch.scriptSubmissions.map((s) => ({
    ...batchKey(batch),
    observed_at: toClickHouseDateTime(Number(s.observedAtUnixMs)),
    observed_at_unix_ms: Number(s.observedAtUnixMs),
    source: s.source,
    uid: s.uid ?? -1,
    script: s.script,
    line: s.line,
    sender: s.sender,
    recipients: s.recipients,
    message_id: s.messageId,
    ancestry_pids: s.ancestry.map((p) => p.pid),
    ancestry_argv: s.ancestry.map((p) => p.argv.join(" ")),
    ancestry_cwd: s.ancestry.map((p) => p.cwd),
    ancestry_exe: s.ancestry.map((p) => p.exe),
    raw: s.raw,
  }));
}
