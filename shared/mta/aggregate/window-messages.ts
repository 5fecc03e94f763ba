import { create } from "@bufbuild/protobuf";
import { AuthWindowSchema, MailWindowSchema, type AuthWindow as AuthWindowMessage, type MailWindow } from "../../gen/spamtrace/v1/ingest_pb.js";
import type { AuthWindow, IdentityWindow } from "./window-aggregator.js";

// The aggregator's windows as the messages a Batch carries: what the probe
// sends, and what the collector's tests write as a probe would.

/** An identity window as a MailWindow message. */
export function toMailWindow(w: IdentityWindow): MailWindow {
  return create(MailWindowSchema, {
    windowStartUnixMs: BigInt(w.window_start_unix_ms),
    windowSeconds: w.window_seconds,
    identityKind: w.kind,
    identity: w.key,
    received: w.received,
    delivered: w.delivered,
    deferred: w.deferred,
    bounced: w.bounced,
    rejected: w.rejected,
    relayDenied: w.relay_denied,
    authFailures: w.auth_failures,
    authSuccesses: w.auth_successes,
    nullSender: w.null_sender,
    distinctRecipients: w.distinct_recipients,
    distinctRecipientDomains: w.distinct_recipient_domains,
    distinctClientIps: w.distinct_client_ips,
    distinctFailedClientIps: w.distinct_failed_client_ips,
    relayed: w.relayed,
    relayedRecipients: w.relayed_recipients,
    sampleQueueIds: w.sample_queue_ids,
    sampleMessageIds: w.sample_message_ids,
    sampleLines: w.sample_lines,
  });
}

/** An auth window as an AuthWindow message. */
export function toAuthWindow(w: AuthWindow): AuthWindowMessage {
  return create(AuthWindowSchema, {
    windowStartUnixMs: BigInt(w.window_start_unix_ms),
    windowSeconds: w.window_seconds,
    clientIp: w.client_ip,
    username: w.username,
    failures: w.failures,
    successes: w.successes,
    services: w.services,
    sampleLines: w.sample_lines,
  });
}
