import type { MailEvent } from "../../shared/mta/events/mail-event.js";
import { MAIL_LOG_SOURCES, type MailLogSource } from "../../shared/mta/mta-kinds.js";
import { check, checkCount, checkOptionalString } from "./fuzz-target.js";

const SOURCES = new Set<MailLogSource>(MAIL_LOG_SOURCES);
const STAGES = new Set(["connect", "helo", "mail", "rcpt", "data", "other"]);
const REASONS = new Set(["relay_denied", "rbl", "unknown_user", "policy", "spam", "other"]);

/** Checks that an event a parser emitted for `line` has the shape its type promises. */
export function checkMailEvent(e: MailEvent, line: string): void {
  check(e.raw === line, "event.raw must be the line it came from");
  check(Number.isFinite(e.ts_unix_ms), () => `event ts_unix_ms ${e.ts_unix_ms} must be finite`);
  check(SOURCES.has(e.source), () => `event source ${String(e.source)} unknown`);
  switch (e.type) {
    case "received":
      check(typeof e.queue_id === "string", "received.queue_id must be a string");
      checkOptionalString(e.sender, "received.sender");
      checkOptionalString(e.client_ip, "received.client_ip");
      checkOptionalString(e.sasl_user, "received.sasl_user");
      check(Array.isArray(e.recipients) && e.recipients.every((r) => typeof r === "string"), "received.recipients must be strings");
      if (e.size_bytes !== null) checkCount(e.size_bytes, "received.size_bytes");
      if (e.nrcpt !== null) checkCount(e.nrcpt, "received.nrcpt");
      if (e.local_uid !== null) checkCount(e.local_uid, "received.local_uid");
      return;
    case "delivered":
    case "deferred":
    case "bounced":
      check(typeof e.queue_id === "string" && typeof e.recipient === "string", `${e.type}: queue_id and recipient must be strings`);
      checkOptionalString(e.relay, `${e.type}.relay`);
      checkOptionalString(e.status_text, `${e.type}.status_text`);
      return;
    case "rejected":
      check(STAGES.has(e.stage), () => `rejected.stage ${e.stage} unknown`);
      check(REASONS.has(e.reason_class), () => `rejected.reason_class ${e.reason_class} unknown`);
      check(typeof e.reason === "string", "rejected.reason must be a string");
      checkOptionalString(e.client_ip, "rejected.client_ip");
      checkOptionalString(e.sender, "rejected.sender");
      checkOptionalString(e.recipient, "rejected.recipient");
      return;
    case "auth_failure":
    case "auth_success":
      check(typeof e.attempts === "number" && Number.isFinite(e.attempts) && e.attempts >= 1, () => `${e.type}.attempts ${e.attempts} must be >= 1`);
      checkOptionalString(e.client_ip, `${e.type}.client_ip`);
      checkOptionalString(e.username, `${e.type}.username`);
      return;
    default:
      check(false, () => `event type ${String((e as { type: unknown }).type)} unknown`);
  }
}
