/** One queued message as the remediation sees it: enough to decide whether it is the culprit's. */
export interface QueuedMessage {
  queueId: string;
  /** Postfix queue (active, deferred, hold, incoming, maildrop) or Exim's queued / frozen. */
  queue: string;
  /** Envelope sender ("" for bounces). */
  sender: string;
  /** Authenticated (SASL) user that submitted it, "" when none or not read. */
  saslUser: string;
}

/** Who the queue selection looks for: an authenticated user and/or an envelope sender (exact, case-insensitive). */
export interface QueueCulprit {
  saslUser?: string;
  sender?: string;
}

/** The culprit's messages: SASL user equal, or envelope sender equal (case-insensitive; a SASL user "alice@dom" also matches that sender). */
export function selectCulpritMessages(messages: readonly QueuedMessage[], culprit: QueueCulprit): QueuedMessage[] {
  const user = culprit.saslUser?.toLowerCase();
  const sender = culprit.sender?.toLowerCase();
  return messages.filter((m) => {
    if (user && (m.saslUser.toLowerCase() === user || (user.includes("@") && m.sender.toLowerCase() === user))) return true;
    return sender !== undefined && sender !== "" && m.sender.toLowerCase() === sender;
  });
}

/** `postqueue -j` (one JSON object per line) → messages; malformed lines are skipped. */
export function parsePostqueueJson(text: string): QueuedMessage[] {
  return text.split("\n").flatMap((line): QueuedMessage[] => {
    if (line.trim() === "") return [];
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r.queue_id !== "string" || typeof r.queue_name !== "string") return [];
      return [{ queueId: r.queue_id, queue: r.queue_name, sender: typeof r.sender === "string" ? r.sender : "", saslUser: "" }];
    } catch {
      return [];
    }
  });
}

/** `postcat -e -q ID...` output → queue id → sasl_username (from "named_attribute: sasl_username=..."). */
export function parsePostcatSaslUsers(text: string): Map<string, string> {
  const users = new Map<string, string>();
  let current = "";
  for (const line of text.split("\n")) {
    // "*** ENVELOPE RECORDS deferred/4F1C2242EB ***"
    const head = /^\*\*\* ENVELOPE RECORDS (?:\S+\/)?([0-9A-Za-z]+) \*\*\*/.exec(line);
    if (head) current = head[1]!;
    const attr = /^named_attribute: sasl_username=(.*)$/.exec(line);
    if (attr && current) users.set(current, attr[1]!.trim());
  }
  return users;
}

// Exim ids: 1xXaqX-0004QJ-38 (≤ 4.96) or 1xXaqX-00000004QJ-0038 (4.97+).
const EXIM_ENTRY = /^\s*\d+[mhd]\s+\S+\s+([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})\s+<(.*?)>(\s+\*\*\* frozen \*\*\*)?\s*$/;

/** `exim -bp` → messages (what exiqgrep reads: id, sender, frozen). */
export function parseEximBp(text: string): QueuedMessage[] {
  return text.split("\n").flatMap((line): QueuedMessage[] => {
    const m = EXIM_ENTRY.exec(line.trimEnd());
    return m ? [{ queueId: m[1]!, queue: m[3] ? "frozen" : "queued", sender: m[2]!, saslUser: "" }] : [];
  });
}

/** The auth_id line of `exim -Mvh ID` (the spool header file), "" when the message was not authenticated. */
export function parseEximAuthId(headerFile: string): string {
  // Exim ≥ 4.93 writes tainted values (what a client sent) with a double dash: "--auth_id alice".
  return /^--?auth_id (.+)$/m.exec(headerFile)?.[1]?.trim() ?? "";
}
