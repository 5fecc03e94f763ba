import type { MailEventSink } from "../events/mail-event.js";
import type { FamilyLineParser } from "../parse/family-line-parser.js";
import type { LogLinePrefix } from "../syslog/parse-syslog-prefix.js";
import { fieldValue, normalizeIp } from "../text/mail-text.js";

const SEVERITY = ["Info: ", "Warning: ", "Error: ", "Debug: "];

/** Process names a Dovecot line may carry before its text (as program or as the first word of the message). */
export function isDovecotProcess(name: string): boolean {
  return (
    name.endsWith("-login") ||
    name === "dovecot" ||
    name === "dovecot-auth" ||
    name.startsWith("auth") ||
    name.startsWith("imap") ||
    name.startsWith("IMAP") ||
    name.startsWith("pop3") ||
    name.startsWith("POP3") ||
    name.startsWith("lda(") ||
    name.startsWith("deliver(") ||
    name.startsWith("lmtp(") ||
    name.startsWith("managesieve") ||
    name === "master" ||
    name === "config"
  );
}

/**
 * Dovecot parser for login-process lines: `imap-login: Login: user=<u>, method=PLAIN, rip=IP` is a
 * success, `...(auth failed, N attempts...): user=<u>, method=PLAIN, rip=IP` stands for N failures.
 * Auth-process lines (`auth-worker(...): pam(u,ip): ...`, `auth: passwd-file(...)`, `pam_unix(dovecot:auth)`)
 * repeat what the login process or the MTA already logged, so they are recognised but not counted.
 */
export class DovecotLineParser implements FamilyLineParser {
  /** Parses one Dovecot line (program `dovecot`, `imap-login`, `auth`, ..., or none). */
  parse(p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    let sub = p.program;
    let text = p.message;
    if (sub === null || sub === "dovecot") {
      const colon = text.indexOf(": ");
      const head = colon > 0 ? text.slice(0, colon) : "";
      if (head.length > 0 && !head.includes(" ") && isDovecotProcess(head)) {
        sub = head;
        text = text.slice(colon + 2);
      } else if (sub === null) {
        return false;
      }
    }
    for (const sev of SEVERITY) if (text.startsWith(sev)) text = text.slice(sev.length);
    if (sub.endsWith("-login")) return this.login(sub.slice(0, -6), text, p, raw, emit);
    if (sub === "dovecot") {
      return text.startsWith("Dovecot v") || text.startsWith("Fatal: ") || text.startsWith("master: ") || text.startsWith("Killed with signal") || text.startsWith("auth") || text.startsWith("dovecot: ") || text.startsWith("pam_unix(");
    }
    return isDovecotProcess(sub);
  }

  private login(service: string, text: string, p: LogLinePrefix, raw: string, emit: MailEventSink): boolean {
    const rip = fieldValue(text, "rip=", 0, ",");
    const ip = rip === null ? null : normalizeIp(rip.trim());
    const user = fieldValue(text, "user=", 0, ",");
    const username = user === null || user.length === 0 ? null : user;
    const method = fieldValue(text, "method=", 0, ",");
    if (text.startsWith("Login: ")) {
      emit({ type: "auth_success", ts_unix_ms: p.ts_unix_ms, source: "dovecot", raw, client_ip: ip, username, mechanism: method, service, reason: null, attempts: 1 });
      return true;
    }
    let failed = text.indexOf("(auth failed, ");
    // Dovecot 1.x: "Aborted login (1 authentication attempts)".
    if (failed < 0 && text.startsWith("Aborted login (")) failed = text.indexOf("(");
    const n = failed < 0 ? null : /^\((?:auth failed, )?(\d+) (?:authentication )?attempts?/.exec(text.slice(failed, failed + 40));
    if (failed >= 0 && (n !== null || text.startsWith("(auth failed, ", failed))) {
      const reasonEnd = text.indexOf(": user=");
      const reason = text.slice(0, reasonEnd > 0 ? reasonEnd : text.indexOf(": ", failed) > 0 ? text.indexOf(": ", failed) : text.length);
      emit({
        type: "auth_failure",
        ts_unix_ms: p.ts_unix_ms,
        source: "dovecot",
        raw,
        client_ip: ip,
        username,
        mechanism: method,
        service,
        reason,
        attempts: n === null ? 1 : Math.max(1, Number(n[1])),
      });
      return true;
    }
    // "Disconnected (no auth attempts ...)", "Aborted login (tried to use disallowed plaintext auth)", connection limits, proxying.
    return rip !== null || text.startsWith("Disconnected") || text.startsWith("Aborted login") || text.startsWith("Login aborted") || text.startsWith("Maximum number of connections");
  }
}
