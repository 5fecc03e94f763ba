import type { MailEventSink } from "../events/mail-event.js";
import type { FamilyLineParser } from "../parse/family-line-parser.js";
import type { LogLinePrefix } from "../syslog/parse-syslog-prefix.js";
import { fieldValue, normalizeIp } from "../text/mail-text.js";

/** Program names of Courier's IMAP/POP3 servers (Plesk's IMAP next to qmail). */
export function isCourierProgram(program: string): boolean {
  return program === "imapd" || program === "pop3d" || program === "imapd-ssl" || program === "pop3d-ssl" || program.startsWith("courier");
}

/**
 * Courier-IMAP / POP3 logins: `LOGIN FAILED, user=u, ip=[::ffff:1.2.3.4]` and
 * `LOGIN, user=u, ip=[...], port=[...], protocol=IMAP`. Connection and logout
 * lines are recognised without events.
 */
export class CourierLineParser implements FamilyLineParser {
  /** Parses one line of a Courier program. */
  parse(p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const s = p.message;
    const failed = s.startsWith("LOGIN FAILED, ");
    if (failed || s.startsWith("LOGIN, ")) {
      const ipField = fieldValue(s, "ip=[", 0, "]");
      const user = fieldValue(s, "user=", 0, ",");
      const protocol = fieldValue(s, "protocol=", 0, ",");
      const program = p.program ?? "";
      emit({
        type: failed ? "auth_failure" : "auth_success",
        ts_unix_ms: p.ts_unix_ms,
        source: "courier",
        raw,
        client_ip: ipField === null ? null : normalizeIp(ipField),
        username: user === null || user.length === 0 ? null : user,
        mechanism: fieldValue(s, "method=", 0, ","),
        service: protocol !== null ? protocol.toLowerCase() : program.includes("pop3") ? "pop3" : "imap",
        reason: failed ? "LOGIN FAILED" : null,
        attempts: 1,
      });
      return true;
    }
    return s.startsWith("Connection, ip=") || s.startsWith("LOGOUT, ") || s.startsWith("Disconnected, ip=") || s.startsWith("TIMEOUT, ") || s.startsWith("Maximum connection limit");
  }
}
