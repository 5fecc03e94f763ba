import { CourierLineParser, isCourierProgram } from "../courier/parse-courier-line.js";
import { DovecotLineParser, isDovecotProcess } from "../dovecot/parse-dovecot-line.js";
import type { MailEventSink } from "../events/mail-event.js";
import { MAIL_LOG_SOURCES, type MailLogSource, type MtaSelection } from "../mta-kinds.js";
import { EximLineParser } from "../exim/parse-exim-line.js";
import { OpensmtpdLineParser } from "../opensmtpd/parse-opensmtpd-line.js";
import { PostfixLineParser } from "../postfix/parse-postfix-line.js";
import { QmailLineParser } from "../qmail/parse-qmail-line.js";
import { SendmailLineParser } from "../sendmail/parse-sendmail-line.js";
import { AsciiPrefixReader } from "../syslog/parse-syslog-prefix-ascii.js";
import { newLogLinePrefix, parseSyslogPrefix } from "../syslog/parse-syslog-prefix.js";
import { LogClock } from "../time/log-clock.js";
import type { FamilyLineParser } from "./family-line-parser.js";
import { RelayContinuations } from "./relay-continuations.js";

/** Options for MailLogParser. */
export interface MailLogParserOptions {
  /** Parsers to run; default "auto". */
  mta?: MtaSelection;
  /** "Now" for year-less syslog timestamps; default Date.now. */
  referenceUnixMs?: () => number;
  /** Queue ids each correlator remembers before evicting the least recently used; default 100,000. */
  maxTrackedMessages?: number;
}

/** Line counts of a MailLogParser. */
export interface MailLogParserStats {
  /** Lines given to parseLine (empty lines included). */
  lines: number;
  /** Lines one of the parsers understood, see MailLogParser.parseLine. */
  recognised: number;
  /** lines - recognised. */
  unrecognised: number;
  /** Recognised lines per software. */
  by_source: Record<MailLogSource, number>;
}

/** Where lines of one program tag go. */
interface Route {
  source: MailLogSource;
  parser: FamilyLineParser;
  code: number | undefined;
}

/** Dovecot's severity words, which land where the program tag would be when its own log has no host. */
const SEVERITY_TAGS = new Set(["Info", "Warn", "Warning", "Error", "Fatal", "Panic", "Debug"]);

/** Which software wrote a line with this syslog program tag, or null when none of ours. */
export function sourceOfProgram(program: string): MailLogSource | null {
  if (program.startsWith("postfix")) return "postfix";
  if (program === "exim" || program === "exim4" || program.startsWith("exim4-") || program === "exim-daemon") return "exim";
  if (program === "sendmail" || program.startsWith("sm-")) return "sendmail";
  if (program === "qmail" || program.startsWith("qmail-") || program === "vpopmail" || program.startsWith("vchkpw") || program === "rblsmtpd" || program === "tcpserver" || program === "smtp_auth") return "qmail";
  if (program === "smtpd") return "opensmtpd";
  if (isCourierProgram(program)) return "courier";
  if (isDovecotProcess(program)) return "dovecot";
  return null;
}

/**
 * Parses mixed mail logs line by line: reads the syslog/mainlog prefix, picks
 * the parser for the program (Postfix, Exim, Sendmail, qmail, Dovecot,
 * OpenSMTPD, Courier), lets it correlate and emit events to the sink, and
 * counts lines. State (queue ids) is bounded, so one instance can follow a log
 * forever. Never throws on any input line.
 */
export class MailLogParser {
  private readonly prefix = newLogLinePrefix();
  /** No family parser reads the syslog host field, so the fast path leaves it null. */
  private readonly asciiPrefix = new AsciiPrefixReader({ hosts: false });
  private readonly clock: LogClock;
  private readonly parsers: Record<MailLogSource, FamilyLineParser | null>;
  /** Program tag → parser route, computed once per tag (a log has a few dozen). */
  private readonly routes = new Map<string, Route | null>();
  private lastProgram = "";
  private lastRoute: Route | null | undefined = undefined;
  private readonly counts: Record<MailLogSource, number>;
  private lineCount = 0;
  private recognisedCount = 0;

  constructor(
    private readonly sink: MailEventSink,
    options: MailLogParserOptions = {},
  ) {
    const mta = options.mta ?? "auto";
    const max = { maxTrackedMessages: options.maxTrackedMessages ?? 100_000, continuations: new RelayContinuations() };
    const on = (family: MailLogSource): boolean => mta === "auto" || mta === family || family === "dovecot" || family === "courier";
    this.clock = new LogClock(options.referenceUnixMs);
    this.parsers = {
      postfix: on("postfix") ? new PostfixLineParser(max) : null,
      exim: on("exim") ? new EximLineParser(max) : null,
      sendmail: on("sendmail") ? new SendmailLineParser(max) : null,
      qmail: on("qmail") ? new QmailLineParser(max) : null,
      dovecot: new DovecotLineParser(),
      opensmtpd: on("opensmtpd") ? new OpensmtpdLineParser(max) : null,
      courier: new CourierLineParser(),
    };
    this.counts = Object.fromEntries(MAIL_LOG_SOURCES.map((s) => [s, 0])) as Record<MailLogSource, number>;
  }

  /** Changes "now" for year-less timestamps, e.g. to the mtime of the next file read. */
  setReferenceTime(referenceUnixMs: () => number): void {
    this.clock.setReference(referenceUnixMs);
  }

  /** Line counts so far (a fresh copy). */
  get stats(): MailLogParserStats {
    return { lines: this.lineCount, recognised: this.recognisedCount, unrecognised: this.lineCount - this.recognisedCount, by_source: { ...this.counts } };
  }

  /**
   * Parses one line (without its newline) and returns whether it was
   * recognised: a mail-log line that one of the enabled parsers understood,
   * whether it produced events (`reject`, `status=sent`), only fed
   * correlation (`client=`, `message-id=`), or is a known informational line
   * (`connect from`, `disconnect from`, qmgr `removed`, queue runs). Lines of
   * other programs, unknown messages and garbage are unrecognised.
   */
  parseLine(line: string): boolean {
    this.lineCount++;
    let source: MailLogSource | null = null;
    try {
      source = parseSyslogPrefix(line, this.clock, this.prefix) ? this.dispatch(line) : null;
    } catch {
      // A parser bug must not stop the log reader: the line counts as unrecognised.
      source = null;
    }
    return this.counted(source);
  }

  /**
   * parseLine for the line `bytes[start..end)` of an all-ASCII chunk whose
   * text is `text` (the same characters, one per byte): same result, faster,
   * as the common syslog prefix is read from the bytes (AsciiPrefixReader).
   */
  parseAsciiLine(text: string, bytes: Uint8Array, start: number, end: number): boolean {
    this.lineCount++;
    let source: MailLogSource | null = null;
    try {
      const line = text.slice(start, end);
      const p = this.prefix;
      source = this.asciiPrefix.read(text, bytes, start, end, this.clock, p) || parseSyslogPrefix(line, this.clock, p) ? this.dispatch(line) : null;
    } catch {
      source = null;
    }
    return this.counted(source);
  }

  private counted(source: MailLogSource | null): boolean {
    if (source === null) return false;
    this.recognisedCount++;
    this.counts[source]++;
    return true;
  }

  /** Routes a line whose prefix is in this.prefix to its parser; returns who recognised it. */
  private dispatch(line: string): MailLogSource | null {
    const p = this.prefix;
    const program = p.program;
    if (program === null) {
      // Exim mainlog (iso), multilog qmail-send (tai64n), Dovecot's own log file without program.
      if (p.format === "iso" && this.run("exim", line)) return "exim";
      if (p.format === "tai64n" && this.run("qmail", line)) return "qmail";
      if (this.run("dovecot", line)) return "dovecot";
      return null;
    }
    // Program tags from the ASCII path are cached strings: the previous line's tag is often the very same object.
    let route = program === this.lastProgram ? this.lastRoute : this.routes.get(program);
    if (route === undefined) {
      const source = sourceOfProgram(program);
      const parser = source === null ? null : this.parsers[source];
      route = source === null || parser === null ? null : { source, parser, code: parser.programCode?.(program) };
      if (this.routes.size > 10_000) this.routes.clear();
      this.routes.set(program, route);
    }
    this.lastProgram = program;
    this.lastRoute = route;
    if (route !== null && route.parser.parse(p, line, this.sink, route.code)) return route.source;
    if (route === null && SEVERITY_TAGS.has(program)) {
      // Dovecot's own log without host: "Jun 23 15:04:05 Info: imap-login: Login: ..."
      p.program = null;
      if (this.run("dovecot", line)) return "dovecot";
    }
    return null;
  }

  private run(source: MailLogSource, line: string): boolean {
    const parser = this.parsers[source];
    return parser !== null && parser.parse(this.prefix, line, this.sink);
  }
}
