import type { MailEventSink } from "../events/mail-event.js";
import type { LogLinePrefix } from "../syslog/parse-syslog-prefix.js";

/**
 * One MTA family's parser: reads the message part of a line whose prefix is
 * already parsed, updates its correlation state and emits events. Returns
 * true when it recognised the line (whether or not it emitted anything).
 * Implementations never throw on any input.
 */
export interface FamilyLineParser {
  /** Parses one line; `raw` is the whole line, kept as evidence in events; `programCode` is this parser's programCode() of the line's program, when it has one. */
  parse(prefix: LogLinePrefix, raw: string, emit: MailEventSink, programCode?: number): boolean;
  /** Optional routing hint computed once per program tag and cached by the dispatcher (Postfix: which daemon). */
  programCode?(program: string): number;
}
