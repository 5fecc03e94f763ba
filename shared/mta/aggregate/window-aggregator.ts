import type { AuthEvent, MailEvent, MessageOrigin } from "../events/mail-event.js";
import { domainOf, lowerCase, ownString } from "../text/mail-text.js";
import type { RelayJudge } from "../relay/relay-policy.js";
import { IDENTITY_KINDS, type IdentityKind } from "./identity-kinds.js";
import { RelayCounter } from "./relay-counter.js";

/** Counters of one identity over one window (or over a whole file for parse-log). */
export interface IdentityCounts {
  /** Messages that entered the queue. */
  received: number;
  /** Successful deliveries (per recipient). */
  delivered: number;
  /** Deferred delivery attempts (per recipient per attempt). */
  deferred: number;
  /** Permanent delivery failures (per recipient). */
  bounced: number;
  /** Refused clients, senders, recipients or messages. */
  rejected: number;
  /** The rejections whose reason class is relay_denied. */
  relay_denied: number;
  /** Failed logins (Dovecot's "N attempts" counts N). */
  auth_failures: number;
  /** Successful logins; Postfix and Exim log none of their own, so each message sent after SMTP AUTH counts one. */
  auth_successes: number;
  /** Received messages with the null sender `<>` (bounces). */
  null_sender: number;
  /** Distinct recipient addresses (lower-cased) of deliveries, deferrals, bounces, rejections and received `for` lists. */
  distinct_recipients: number;
  /** Distinct domains of those recipients. */
  distinct_recipient_domains: number;
  /**
   * Distinct client IPs that authenticated or sent as this identity: SMTP AUTH
   * or IMAP/POP3 logins that succeeded, messages received (and their
   * deliveries), rejections in an authenticated session. Failed logins and
   * rejected unauthenticated clients are not counted (an attacker's guesses
   * must not make the victim look spread out).
   */
  distinct_client_ips: number;
  /** Distinct client IPs that only failed to log in as this identity in the window (not among distinct_client_ips). */
  distinct_failed_client_ips: number;
}

/** Counters of one sender identity in one window (field names follow the MailWindow message of the probe contract). */
export interface IdentityWindow extends IdentityCounts {
  /** Window start, unix ms (floor of event time to the window size); 0 for whole-input totals. */
  window_start_unix_ms: number;
  /** Window length in seconds; 0 for whole-input totals. */
  window_seconds: number;
  /** Identity kind. */
  kind: IdentityKind;
  /** Identity value: lower-cased user or address, IP, script path, `uid:N`; `<>` for the null sender. */
  key: string;
  /** Up to maxSamples distinct queue ids, as evidence. */
  sample_queue_ids: string[];
  /** Up to maxSamples distinct Message-IDs, as evidence. */
  sample_message_ids: string[];
  /** Up to maxSamples raw log lines, as evidence. */
  sample_lines: string[];
  /** client_ip only: messages relayed for this client (unauthenticated, not permitted, to an unserved domain; see RelayCounter). */
  relayed: number;
  /** client_ip only: recipients of those messages. */
  relayed_recipients: number;
}

/** Logins of one (client IP, username) pair in one window, for brute-force and credential-stuffing detection. */
export interface AuthWindow {
  /** Window start, unix ms; 0 for whole-input totals. */
  window_start_unix_ms: number;
  /** Window length in seconds; 0 for whole-input totals. */
  window_seconds: number;
  /** Client IP, "" when the line did not say. */
  client_ip: string;
  /** Login name (lower-cased), "" when not logged. */
  username: string;
  /** Failed attempts. */
  failures: number;
  /** Successful logins. */
  successes: number;
  /** Services seen ("smtp", "submission", "imap", ...), sorted. */
  services: string[];
  /** Up to maxSamples raw log lines. */
  sample_lines: string[];
}

/** What drainClosed / drainAll return. */
export interface WindowBatch {
  /** Identity windows, ordered by window, then kind, then key. */
  identities: IdentityWindow[];
  /** Auth windows, ordered by window, then client IP, then username. */
  auth: AuthWindow[];
}

/** Options for WindowAggregator. */
export interface WindowAggregatorOptions {
  /** Window length in ms; default 60,000. Infinity aggregates the whole input into one window starting at 0. */
  windowMs?: number;
  /** Evidence items kept per identity and window; default 5. */
  maxSamples?: number;
  /** Names a uid for `local_user` keys (e.g. from /etc/passwd); default: the key is `uid:N`. */
  resolveUid?: (uid: number) => string | undefined;
  /** The MTA's relay policy in force (served domains, permitted networks); without one nothing counts as relayed. */
  relayJudge?: () => RelayJudge | undefined;
}

/** Default aggregation window: one minute. */
export const DEFAULT_WINDOW_MS = 60_000;
/** Default evidence items per identity and window. */
export const DEFAULT_MAX_SAMPLES = 5;

const KIND_ORDER = Object.fromEntries(IDENTITY_KINDS.map((kind, i) => [kind, i])) as Record<IdentityKind, number>;

class IdentityAccumulator {
  received = 0;
  delivered = 0;
  deferred = 0;
  bounced = 0;
  rejected = 0;
  relay_denied = 0;
  auth_failures = 0;
  auth_successes = 0;
  null_sender = 0;
  relayed = 0;
  relayed_recipients = 0;
  readonly recipients = new Set<string>();
  readonly domains = new Set<string>();
  /** Addresses that authenticated or sent. */
  readonly ips = new Set<string>();
  /** Addresses with a failed login (counted at drain when not also in ips). */
  readonly failedIps = new Set<string>();
  readonly queueIds: string[] = [];
  readonly messageIds: string[] = [];
  readonly lines: string[] = [];

  constructor(
    readonly kind: IdentityKind,
    readonly key: string,
  ) {}
}

class AuthAccumulator {
  failures = 0;
  successes = 0;
  readonly services = new Set<string>();
  readonly lines: string[] = [];
  constructor(
    readonly clientIp: string,
    readonly username: string,
  ) {}
}

interface Bucket {
  identities: Record<IdentityKind, Map<string, IdentityAccumulator>>;
  /** Client IP → username → logins. */
  auth: Map<string, Map<string, AuthAccumulator>>;
}

function pushSample(list: string[], value: string | null, max: number, distinct: boolean): void {
  if (value === null || value.length === 0 || list.length >= max) return;
  if (distinct && list.includes(value)) return;
  list.push(ownString(value));
}

/** Adds to a set that lives as long as its window; only a new member is copied (ownString). */
function addOwned(set: Set<string>, value: string): void {
  if (!set.has(value)) set.add(ownString(value));
}

/**
 * Aggregates MailEvents per window (start = floor(ts / windowMs) * windowMs)
 * and per sender identity: a message counts for each identity it has (its
 * SASL user, local user, script, client IP and envelope sender), deliveries
 * for the identities of their message, rejections for the client IP, sender
 * and SASL user, logins for the client IP and the username. Logins are also
 * counted per (client IP, username). With windowMs = Infinity it totals a
 * whole file (parse-log).
 */
export class WindowAggregator {
  private readonly windowMs: number;
  private readonly maxSamples: number;
  private readonly resolveUid: ((uid: number) => string | undefined) | undefined;
  private readonly buckets = new Map<number, Bucket>();
  private readonly relay: RelayCounter;

  constructor(options: WindowAggregatorOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    if (!(this.windowMs > 0)) throw new RangeError(`windowMs ${this.windowMs} must be > 0`);
    this.maxSamples = options.maxSamples ?? DEFAULT_MAX_SAMPLES;
    this.resolveUid = options.resolveUid;
    this.relay = new RelayCounter(options.relayJudge ?? (() => undefined));
  }

  /** Window start (unix ms) an event at `tsUnixMs` falls in. */
  windowStart(tsUnixMs: number): number {
    return this.windowMs === Infinity ? 0 : Math.floor(tsUnixMs / this.windowMs) * this.windowMs;
  }

  /** Counts one event. */
  add(event: MailEvent): void {
    const bucket = this.bucket(this.windowStart(event.ts_unix_ms));
    const accs = this.scratch;
    accs.length = 0;
    switch (event.type) {
      case "received": {
        this.originAccumulators(bucket, event, accs);
        const recipients = event.recipients.length === 0 ? event.recipients : event.recipients.map(lowerCase);
        for (const a of accs) {
          a.received++;
          if (event.null_sender) a.null_sender++;
          if (event.client_ip !== null) addOwned(a.ips, event.client_ip);
          for (const r of recipients) addLoweredRecipient(a, r);
          this.sample(a, event.queue_id, event.message_id, event.raw);
        }
        return;
      }
      case "delivered":
      case "deferred":
      case "bounced": {
        const o = event.origin;
        if (o === null) return;
        this.originAccumulators(bucket, o, accs);
        const recipient = lowerCase(event.recipient);
        for (const a of accs) {
          a[event.type]++;
          addLoweredRecipient(a, recipient);
          if (o.client_ip !== null) addOwned(a.ips, o.client_ip);
          this.sample(a, event.queue_id, o.message_id, event.raw);
        }
        this.relay.add(event, (ip) => this.identity(bucket, "client_ip", ip));
        return;
      }
      case "rejected": {
        if (event.client_ip !== null) accs.push(this.identity(bucket, "client_ip", event.client_ip));
        if (event.sender !== null) accs.push(this.identity(bucket, "envelope_sender", senderKey(event.sender)));
        if (event.sasl_user !== null) accs.push(this.identity(bucket, "sasl_user", lowerCase(event.sasl_user)));
        const relay = event.reason_class === "relay_denied";
        const recipient = event.recipient === null ? null : lowerCase(event.recipient);
        for (const a of accs) {
          a.rejected++;
          if (relay) a.relay_denied++;
          if (recipient !== null) addLoweredRecipient(a, recipient);
          // A rejected client counts only when its session had logged in (the rejection names the SASL user).
          if (event.client_ip !== null && event.sasl_user !== null) addOwned(a.ips, event.client_ip);
          this.sample(a, event.queue_id, null, event.raw);
        }
        return;
      }
      case "auth_failure":
      case "auth_success":
        this.addAuth(bucket, event, accs);
        return;
    }
  }

  /** Reused per add(): the accumulators one event counts toward (saves an array per event). */
  private readonly scratch: IdentityAccumulator[] = [];

  private addAuth(bucket: Bucket, event: AuthEvent, accs: IdentityAccumulator[]): void {
    const failure = event.type === "auth_failure";
    const n = failure ? event.attempts : 1;
    const user = event.username === null ? "" : lowerCase(event.username);
    const ip = event.client_ip ?? "";
    if (ip.length > 0) accs.push(this.identity(bucket, "client_ip", ip));
    if (user.length > 0) accs.push(this.identity(bucket, "sasl_user", user));
    for (const a of accs) {
      if (failure) a.auth_failures += n;
      else a.auth_successes += n;
      if (ip.length > 0) addOwned(failure ? a.failedIps : a.ips, ip);
      pushSample(a.lines, event.raw, this.maxSamples, false);
    }
    let byUser = bucket.auth.get(ip);
    if (byUser === undefined) {
      byUser = new Map();
      bucket.auth.set(ownString(ip), byUser);
    }
    let acc = byUser.get(user);
    if (acc === undefined) {
      acc = new AuthAccumulator(ownString(ip), ownString(user));
      byUser.set(acc.username, acc);
    }
    if (failure) acc.failures += n;
    else acc.successes += n;
    if (event.service !== null) addOwned(acc.services, event.service);
    pushSample(acc.lines, event.raw, this.maxSamples, false);
  }

  /** The accumulators of a message's identities: SASL user, local user, script, client IP, envelope sender. */
  private originAccumulators(bucket: Bucket, o: MessageOrigin, out: IdentityAccumulator[]): void {
    if (o.sasl_user !== null) out.push(this.identity(bucket, "sasl_user", lowerCase(o.sasl_user)));
    const local = o.local_user ?? (o.local_uid !== null ? (this.resolveUid?.(o.local_uid) ?? `uid:${o.local_uid}`) : null);
    if (local !== null) out.push(this.identity(bucket, "local_user", local));
    if (o.script !== null) out.push(this.identity(bucket, "script", o.script));
    if (o.client_ip !== null) out.push(this.identity(bucket, "client_ip", o.client_ip));
    if (o.sender !== null) out.push(this.identity(bucket, "envelope_sender", senderKey(o.sender)));
  }

  private bucket(start: number): Bucket {
    let b = this.buckets.get(start);
    if (b === undefined) {
      b = { identities: Object.fromEntries(IDENTITY_KINDS.map((kind) => [kind, new Map()])) as Bucket["identities"], auth: new Map() };
      this.buckets.set(start, b);
    }
    return b;
  }

  private identity(bucket: Bucket, kind: IdentityKind, key: string): IdentityAccumulator {
    const map = bucket.identities[kind];
    let a = map.get(key);
    if (a === undefined) {
      a = new IdentityAccumulator(kind, ownString(key));
      map.set(a.key, a);
    }
    return a;
  }

  private sample(a: IdentityAccumulator, queueId: string | null, messageId: string | null, raw: string): void {
    pushSample(a.queueIds, queueId, this.maxSamples, true);
    pushSample(a.messageIds, messageId, this.maxSamples, true);
    pushSample(a.lines, raw, this.maxSamples, false);
  }

  /** Removes and returns the windows that ended at or before `watermarkUnixMs` (a streaming probe's flush). */
  drainClosed(watermarkUnixMs: number): WindowBatch {
    const starts = [...this.buckets.keys()].filter((s) => s + this.windowMs <= watermarkUnixMs);
    return this.drain(starts);
  }

  /** Removes and returns every window. */
  drainAll(): WindowBatch {
    return this.drain([...this.buckets.keys()]);
  }

  private drain(starts: number[]): WindowBatch {
    starts.sort((a, b) => a - b);
    const windowSeconds = this.windowMs === Infinity ? 0 : Math.round(this.windowMs / 1000);
    const identities: IdentityWindow[] = [];
    const auth: AuthWindow[] = [];
    for (const start of starts) {
      const b = this.buckets.get(start);
      if (b === undefined) continue;
      this.buckets.delete(start);
      const ids = Object.values(b.identities).flatMap((m) => [...m.values()]).sort((x, y) => KIND_ORDER[x.kind] - KIND_ORDER[y.kind] || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
      for (const a of ids) {
        identities.push({
          window_start_unix_ms: start,
          window_seconds: windowSeconds,
          kind: a.kind,
          key: a.key,
          received: a.received,
          delivered: a.delivered,
          deferred: a.deferred,
          bounced: a.bounced,
          rejected: a.rejected,
          relay_denied: a.relay_denied,
          auth_failures: a.auth_failures,
          auth_successes: a.auth_successes,
          null_sender: a.null_sender,
          distinct_recipients: a.recipients.size,
          distinct_recipient_domains: a.domains.size,
          distinct_client_ips: a.ips.size,
          distinct_failed_client_ips: countNotIn(a.failedIps, a.ips),
          relayed: a.relayed,
          relayed_recipients: a.relayed_recipients,
          sample_queue_ids: a.queueIds,
          sample_message_ids: a.messageIds,
          sample_lines: a.lines,
        });
      }
      const auths = [...b.auth.values()].flatMap((m) => [...m.values()]).sort((x, y) => (x.clientIp < y.clientIp ? -1 : x.clientIp > y.clientIp ? 1 : x.username < y.username ? -1 : x.username > y.username ? 1 : 0));
      for (const a of auths) {
        auth.push({ window_start_unix_ms: start, window_seconds: windowSeconds, client_ip: a.clientIp, username: a.username, failures: a.failures, successes: a.successes, services: [...a.services].sort(), sample_lines: a.lines });
      }
    }
    return { identities, auth };
  }
}

/** Members of `set` that are not in `other`. */
function countNotIn(set: ReadonlySet<string>, other: ReadonlySet<string>): number {
  let n = 0;
  for (const value of set) if (!other.has(value)) n++;
  return n;
}

/** Counts a lower-cased recipient address (and its domain) for an identity; the empty address counts nothing. */
function addLoweredRecipient(a: IdentityAccumulator, recipient: string): void {
  if (recipient.length === 0 || a.recipients.has(recipient)) return;
  a.recipients.add(ownString(recipient));
  const d = domainOf(recipient);
  if (d.length > 0) addOwned(a.domains, d);
}

/** Identity key of an envelope sender: lower-cased, `<>` for the null sender. */
export function senderKey(sender: string): string {
  return sender.length === 0 ? "<>" : lowerCase(sender);
}
