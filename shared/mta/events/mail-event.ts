import type { MailLogSource } from "../mta-kinds.js";

/**
 * Typed events the MTA log parsers emit. One log line gives zero, one or more
 * events; lines that only feed correlation state (Postfix `client=`, `cleanup
 * message-id=`) give none. Field names are snake_case because these records are
 * also printed as JSON and shipped to the collector.
 */

/** Why a server refused a message, client or recipient, coarse enough to count per identity. */
export type RejectReasonClass = "relay_denied" | "rbl" | "unknown_user" | "policy" | "spam" | "other";

/** SMTP phase a rejection happened in. */
export type RejectStage = "connect" | "helo" | "mail" | "rcpt" | "data" | "other";

/**
 * Who is behind a message: the sender identities its delivery outcomes are
 * attributed to. Fields are null when the log did not show them.
 */
export interface MessageOrigin {
  /** MTA queue id (Postfix queue id, Exim message id, Sendmail qid, qmail `msg N`, OpenSMTPD msgid). */
  queue_id: string;
  /** Envelope sender as logged, without angle brackets; "" is the null sender `<>`; null when unknown. */
  sender: string | null;
  /** IP address of the SMTP client that submitted the message (IPv4-mapped IPv6 shown as IPv4). */
  client_ip: string | null;
  /** Client host name as the MTA logged it ("unknown" when reverse DNS failed). */
  client_host: string | null;
  /** SMTP AUTH login name (Postfix `sasl_username=`, Exim `A=<authenticator>:<set_id>`, Sendmail `authid=`). */
  sasl_user: string | null;
  /** Local submitter: user name (Exim `U=` on local/loopback submissions, Sendmail `relay=user@localhost`) or `uid:N`. */
  local_user: string | null;
  /** Numeric uid of a local submission (Postfix `pickup uid=`, qmail `info msg ... uid`). */
  local_uid: number | null;
  /** Script evidence: Exim `cwd=` of the submitting process, or an `X-PHP-Originating-Script` header value. */
  script: string | null;
  /** Message-ID header value without angle brackets. */
  message_id: string | null;
}

/** A message entered the queue (once per message, not per retry). */
export interface MessageReceivedEvent extends MessageOrigin {
  type: "received";
  /** Line time, unix epoch milliseconds. */
  ts_unix_ms: number;
  /** Software that logged it. */
  source: MailLogSource;
  /** The log line that completed the record (evidence). */
  raw: string;
  /** True for bounces and other null-sender (`from=<>`) messages. */
  null_sender: boolean;
  /** Message size in bytes as logged, or null. */
  size_bytes: number | null;
  /** Number of envelope recipients when logged (Postfix `nrcpt=`, Sendmail `nrcpts=`), else null. */
  nrcpt: number | null;
  /** SASL mechanism or Exim authenticator name, or null. */
  sasl_method: string | null;
  /** Protocol as logged (Exim `P=`, Sendmail `proto=`), or null. */
  protocol: string | null;
  /** Queue id of the message this one is a bounce of (Exim `R=`, Postfix bounce notification), or null. */
  bounce_of: string | null;
  /** Recipients listed on the line itself (Exim `for ...`, OpenSMTPD `to=`); empty when not logged there. */
  recipients: string[];
}

/** Outcome of one delivery attempt to one recipient. */
export interface DeliveryEvent {
  type: "delivered" | "deferred" | "bounced";
  /** Line time, unix epoch milliseconds. */
  ts_unix_ms: number;
  /** Software that logged it. */
  source: MailLogSource;
  /** The log line (evidence). */
  raw: string;
  /** Queue id of the message. */
  queue_id: string;
  /** Recipient address without angle brackets. */
  recipient: string;
  /** Original recipient before aliasing (Postfix `orig_to=`, Exim `<orig>`), or null. */
  orig_recipient: string | null;
  /** Where it went (Postfix `relay=`, Exim `H=`/`T=`, Sendmail `relay=`/`mailer=`), or null. */
  relay: string | null;
  /** Enhanced status code (`dsn=`), or null. */
  dsn: string | null;
  /** Status or error text as logged, or null. */
  status_text: string | null;
  /** Sender identities of the message from correlation; null when no line of the message was seen before. */
  origin: MessageOrigin | null;
}

/** The server refused a client, a sender, a recipient or a message. */
export interface RejectEvent {
  type: "rejected";
  /** Line time, unix epoch milliseconds. */
  ts_unix_ms: number;
  /** Software that logged it. */
  source: MailLogSource;
  /** The log line (evidence). */
  raw: string;
  /** Queue id when the rejection happened after one was assigned (DATA, milter), else null. */
  queue_id: string | null;
  /** SMTP phase. */
  stage: RejectStage;
  /** Coarse reason, see classifyRejectReason. */
  reason_class: RejectReasonClass;
  /** Reason text as logged (after the SMTP code). */
  reason: string;
  /** SMTP reply code ("554"), or null. */
  smtp_code: string | null;
  /** Enhanced status code ("5.7.1"), or null. */
  dsn: string | null;
  /** Client IP, or null. */
  client_ip: string | null;
  /** Client host name as logged, or null. */
  client_host: string | null;
  /** Envelope sender ("" for `<>`), or null when not logged. */
  sender: string | null;
  /** Refused recipient, or null. */
  recipient: string | null;
  /** HELO/EHLO name, or null. */
  helo: string | null;
  /** Authenticated user of the session when known, or null. */
  sasl_user: string | null;
}

/** A login attempt against SMTP AUTH, IMAP or POP3. */
export interface AuthEvent {
  type: "auth_failure" | "auth_success";
  /** Line time, unix epoch milliseconds. */
  ts_unix_ms: number;
  /** Software that logged it. */
  source: MailLogSource;
  /** The log line (evidence). */
  raw: string;
  /** Client IP, or null when the line does not say. */
  client_ip: string | null;
  /** Login name tried or used, or null when not logged (Postfix logs `sasl_username=(unavailable)` in one form). */
  username: string | null;
  /** SASL mechanism or authenticator (upper case for SASL mechanisms), or null. */
  mechanism: string | null;
  /** Service: "smtp", "submission", "smtps", "imap", "pop3", ... as far as the line says; null otherwise. */
  service: string | null;
  /** Failure reason as logged, or null. */
  reason: string | null;
  /** Attempts this line stands for (Dovecot logs "auth failed, 3 attempts" once); usually 1. */
  attempts: number;
}

/** Every event a parser can emit. */
export type MailEvent = MessageReceivedEvent | DeliveryEvent | RejectEvent | AuthEvent;

/** Receives parsed events; parsers call it synchronously, in log order. */
export type MailEventSink = (event: MailEvent) => void;
