import type { Batch, Hello } from "../../../shared/gen/spamtrace/v1/ingest_pb.js";
import { WIRE_STRING_CHARS } from "../../../shared/types/wire-strings.js";
import { IDENTITY_KINDS, isIdentityKind } from "../../../shared/mta/aggregate/identity-kinds.js";
import { HOST_ID_PATTERN } from "../../../shared/types/host-id.js";
import { IngestError } from "./ingest-error.js";

/** Limits on what a probe may send; every probe message is untrusted. */
export interface IngestLimits {
  /** Largest encoded message accepted, bytes (enforced by grpc-js too). */
  maxMessageBytes: number;
  /** Most sockets in one batch, over all its snapshots. */
  maxSocketsPerBatch: number;
  /** Longest string field, in characters. */
  maxStringChars: number;
  /** How far a probe's timestamps may lie in the future, ms (clock skew allowance). */
  maxClockSkewMs: number;
}

/** Defaults for IngestLimits. */
export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxMessageBytes: 8 * 1024 * 1024,
  maxSocketsPerBatch: 50_000,
  // The probe clips every string of a batch to this (shared/types/wire-strings.ts).
  maxStringChars: WIRE_STRING_CHARS,
  maxClockSkewMs: 10 * 60 * 1000,
};

// Probes keep data a while in their spool after an outage; older than this is not believable.
const MAX_AGE_MS = 400 * 24 * 3600 * 1000;

/** Checks a Hello; throws IngestError(invalid_argument) naming the field. */
export function validateHello(hello: Hello, limits: IngestLimits): void {
  if (!HOST_ID_PATTERN.test(hello.hostId)) throw invalid(`hello.host_id ${JSON.stringify(hello.hostId.slice(0, 80))} must match ${HOST_ID_PATTERN.source}`);
  if (hello.streamEpoch === 0n) throw invalid("hello.stream_epoch must be > 0");
  checkStrings("hello", [hello.hostname, hello.os, hello.kernel, hello.probeVersion, ...hello.ipAddresses], limits);
  if (hello.mta) checkStrings("hello.mta", [hello.mta.kind, hello.mta.version, hello.mta.queuePath, ...hello.mta.binaryPaths, ...hello.mta.logPaths, ...hello.mta.mtaNames], limits);
  if (hello.mta && hello.mta.mtaNames.length > MAX_MTA_NAMES) throw invalid(`hello.mta.mta_names has ${hello.mta.mtaNames.length} names, limit ${MAX_MTA_NAMES}`);
}

/** Checks a Batch against its stream's Hello; throws IngestError naming the field. */
export function validateBatch(batch: Batch, hello: Hello, limits: IngestLimits, nowMs: number): void {
  if (batch.hostId !== hello.hostId) {
    throw new IngestError("permission_denied", `batch.host_id ${JSON.stringify(batch.hostId.slice(0, 80))} differs from the stream's host ${hello.hostId}`);
  }
  if (batch.streamEpoch !== hello.streamEpoch) throw invalid(`batch.stream_epoch ${batch.streamEpoch} differs from hello.stream_epoch ${hello.streamEpoch}`);
  if (batch.seq === 0n) throw invalid("batch.seq must be >= 1");
  checkTime("batch.created_at_unix_ms", batch.createdAtUnixMs, limits, nowMs);
  validateMtaParts(batch, limits, nowMs);
  let sockets = 0;
  for (const snapshot of batch.socketSnapshots) {
    checkTime("socket_snapshot.observed_at_unix_ms", snapshot.observedAtUnixMs, limits, nowMs);
    checkTime("socket_snapshot.started_at_unix_ms", snapshot.startedAtUnixMs, limits, nowMs);
    sockets += snapshot.sockets.length;
    if (sockets > limits.maxSocketsPerBatch) throw invalid(`batch has more than ${limits.maxSocketsPerBatch} sockets`);
    for (const s of snapshot.sockets) {
      if (s.localPort > 65535 || s.remotePort > 65535) throw invalid(`socket port ${Math.max(s.localPort, s.remotePort)} must be <= 65535`);
      checkTime("socket.first_seen_unix_ms", s.firstSeenUnixMs, limits, nowMs);
      checkTime("socket.last_seen_unix_ms", s.lastSeenUnixMs, limits, nowMs);
      const p = s.process;
      checkStrings("socket", [s.proto, s.state, s.localAddress, s.remoteAddress], limits);
      if (p) checkStrings("socket.process", [p.user, p.comm, p.exe, p.cwd, p.exeSha256, ...p.argv], limits);
    }
  }
}


/** Checks the MTA parts of a batch: queue snapshots, windows, log stats. */
function validateMtaParts(batch: Batch, limits: IngestLimits, nowMs: number): void {
  const items = batch.queueSnapshots.length + batch.mailWindows.length + batch.authWindows.length + batch.logStats.length + batch.scriptSubmissions.length;
  if (items > limits.maxSocketsPerBatch) throw invalid(`batch has more than ${limits.maxSocketsPerBatch} queue snapshots, windows, log stats and script submissions`);
  for (const q of batch.queueSnapshots) {
    checkTime("queue_snapshot.observed_at_unix_ms", q.observedAtUnixMs, limits, nowMs);
    checkStrings("queue_snapshot", [q.mta, q.source, ...[...q.byQueue, ...q.topSenders, ...q.topRecipientDomains].map((k) => k.key)], limits);
  }
  for (const w of batch.mailWindows) {
    checkTime("mail_window.window_start_unix_ms", w.windowStartUnixMs, limits, nowMs);
    if (!isIdentityKind(w.identityKind)) throw invalid(`mail_window.identity_kind ${JSON.stringify(w.identityKind.slice(0, 40))} must be one of ${IDENTITY_KINDS.join(", ")}`);
    checkStrings("mail_window", [w.identity, ...w.sampleQueueIds, ...w.sampleMessageIds, ...w.sampleLines], limits);
    // Each address that only failed to log in failed at least once.
    if (w.distinctFailedClientIps > w.authFailures) {
      throw invalid(`mail_window.distinct_failed_client_ips ${w.distinctFailedClientIps} exceeds auth_failures ${w.authFailures}`);
    }
  }
  for (const w of batch.authWindows) {
    checkTime("auth_window.window_start_unix_ms", w.windowStartUnixMs, limits, nowMs);
    checkStrings("auth_window", [w.clientIp, w.username, ...w.services, ...w.sampleLines], limits);
  }
  for (const l of batch.logStats) checkStrings("log_stats", [l.path], limits);
  for (const w of batch.mailWindows) {
    if (w.relayed > w.received + w.delivered + w.deferred + w.bounced || w.relayedRecipients < w.relayed) {
      throw invalid(`mail_window.relayed ${w.relayed} / relayed_recipients ${w.relayedRecipients} inconsistent with the window's counts`);
    }
  }
  const p = batch.relayPolicy;
  if (p !== undefined) {
    if (!/^[0-9a-f]{1,64}$/.test(p.hash)) throw invalid(`relay_policy.hash ${JSON.stringify(p.hash.slice(0, 70))} must be 1-64 hex digits`);
    if (p.servedDomains.length > MAX_RELAY_POLICY_ENTRIES || p.permittedNetworks.length > MAX_RELAY_POLICY_ENTRIES) {
      throw invalid(`relay_policy has more than ${MAX_RELAY_POLICY_ENTRIES} served domains or permitted networks`);
    }
    checkStrings("relay_policy", [p.mta, ...p.servedDomains, ...p.permittedNetworks, ...p.unreadableSources, ...p.sources, ...p.findings.flatMap((f) => [f.setting, f.file, f.value, f.reason])], limits);
  }
  for (const s of batch.scriptSubmissions) {
    checkTime("script_submission.observed_at_unix_ms", s.observedAtUnixMs, limits, nowMs);
    if (s.source !== "maildrop" && s.source !== "php_mail_log") throw invalid(`script_submission.source ${JSON.stringify(s.source.slice(0, 40))} must be maildrop or php_mail_log`);
    checkStrings("script_submission", [s.script, s.sender, s.messageId, s.raw, ...s.recipients, ...s.ancestry.flatMap((p) => [p.comm, p.cwd, p.exe, ...p.argv])], limits);
  }
  validateMessageParts(batch, limits, nowMs);
}

/** Most served domains (or permitted networks) one relay policy may list: a large shared host serves tens of thousands. */
const MAX_RELAY_POLICY_ENTRIES = 500_000;

/** Checks the message records and delivery outcomes of a batch. */
function validateMessageParts(batch: Batch, limits: IngestLimits, nowMs: number): void {
  if (batch.messages.length + batch.messageDeliveries.length > limits.maxSocketsPerBatch) {
    throw invalid(`batch has more than ${limits.maxSocketsPerBatch} messages and delivery outcomes`);
  }
  for (const m of batch.messages) {
    checkTime("message.received_at_unix_ms", m.receivedAtUnixMs, limits, nowMs);
    if (m.queueId.length === 0) throw invalid("message.queue_id must not be empty");
    checkStrings("message", [m.queueId, m.messageId, m.sender, m.saslUser, m.localUser, m.script, m.clientIp, m.clientHost, m.protocol, m.source], limits);
  }
  for (const d of batch.messageDeliveries) {
    checkTime("message_delivery.first_at_unix_ms", d.firstAtUnixMs, limits, nowMs);
    checkTime("message_delivery.last_at_unix_ms", d.lastAtUnixMs, limits, nowMs);
    if (!DELIVERY_OUTCOMES.has(d.outcome)) throw invalid(`message_delivery.outcome ${JSON.stringify(d.outcome.slice(0, 40))} must be one of ${[...DELIVERY_OUTCOMES].join(", ")}`);
    checkStrings("message_delivery", [d.queueId, d.recipientDomain, d.relay, d.statusText, d.dsn], limits);
  }
}

const DELIVERY_OUTCOMES: ReadonlySet<string> = new Set(["delivered", "deferred", "bounced"]);
/** Names an MTA answers to (myhostname, listener names): a handful in practice. */
const MAX_MTA_NAMES = 64;

function checkTime(field: string, value: bigint, limits: IngestLimits, nowMs: number): void {
  const ms = Number(value);
  if (ms > nowMs + limits.maxClockSkewMs || ms < nowMs - MAX_AGE_MS) {
    throw invalid(`${field} ${value} is outside the accepted window (now ${nowMs}, skew ${limits.maxClockSkewMs} ms)`);
  }
}

function checkStrings(field: string, values: readonly string[], limits: IngestLimits): void {
  for (const value of values) {
    if (value.length > limits.maxStringChars) throw invalid(`${field} has a string of ${value.length} chars, limit ${limits.maxStringChars}`);
  }
}

function invalid(message: string): IngestError {
  return new IngestError("invalid_argument", message);
}
