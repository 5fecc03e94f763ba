/**
 * One Received: header, as far as the MTAs of a hosting fleet write it
 * (RFC 5321 §4.4 trace fields, with Postfix, Exim, Sendmail and qmail
 * comments). Fields are null when the header does not say.
 */
export interface ReceivedHop {
  /** The header value, unfolded. */
  raw: string;
  /** HELO name after `from`. */
  helo: string | null;
  /** Reverse-DNS name of the client as the receiving MTA wrote it (`unknown` kept). */
  clientName: string | null;
  /** Client IP address (`[192.0.2.1]`, `IPv6:` prefix dropped). */
  clientIp: string | null;
  /** Receiving host after `by`, lower-cased. */
  by: string | null;
  /** Protocol after `with` (ESMTP, ESMTPSA, local, ...). */
  with: string | null;
  /** Queue id after `id`. */
  id: string | null;
  /** Recipient after `for`. */
  for: string | null;
  /** Postfix `(Authenticated sender: name)`, Exim/Sendmail `authenticated ... as name`. */
  authUser: string | null;
  /** Postfix `(Postfix, from userid N)`, qmail `(qmail N invoked by uid U)`. */
  uid: number | null;
  /** Exim `(envelope-from <a@b>)`. */
  envelopeFrom: string | null;
  /** qmail `invoked from network` / `invoked by alias` etc.: the qmail form, when present. */
  qmail: string | null;
  /** Date after the last `;`, unix ms, or null. */
  dateMs: number | null;
}

function match(re: RegExp, text: string): string | null {
  const m = re.exec(text);
  return m?.[1] ?? null;
}

/** Strips comments (parenthesised, nested) to read the RFC 5321 clauses. */
function withoutComments(text: string): string {
  let out = "";
  let depth = 0;
  for (const ch of text) {
    if (ch === "(") depth++;
    else if (ch === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0) out += ch;
    else continue;
    if (depth > 0 && ch === "(") out += " ";
  }
  return out.replace(/\s+/g, " ");
}

/** Parses one Received: header value (unfolded or not). */
export function parseReceived(value: string): ReceivedHop {
  const raw = value.replace(/\r?\n[ \t]+/g, " ").replace(/\s+/g, " ").trim();
  const semi = raw.lastIndexOf(";");
  const body = semi >= 0 ? raw.slice(0, semi) : raw;
  const date = semi >= 0 ? Date.parse(raw.slice(semi + 1).trim().replace(/\s*\([A-Z]{2,5}\)$/, "")) : NaN;
  const clauses = withoutComments(body);
  const word = (kw: string): string | null => match(new RegExp(`(?:^|\\s)${kw}\\s+([^\\s;]+)`, "i"), clauses);
  // The client's name and address are in the comment after `from HELO`: "(rdns [ip])", "([ip])", "(rdns [ip] (may be forged))", Exim "([ip] helo=x)".
  const fromComment = match(/^from\s+\S+\s+\(([^)]*)\)/i, body) ?? match(/^from\s+\S+\s+\(([^)]*)\)/i, raw);
  const ipInComment = fromComment === null ? null : match(/\[(?:IPv6:)?([0-9a-fA-F:.]+)\]/, fromComment);
  const heloWord = word("from");
  const heloIsIp = heloWord !== null ? match(/^\[(?:IPv6:)?([0-9a-fA-F:.]+)\]$/, heloWord) : null;
  const eximHelo = fromComment === null ? null : match(/helo=([^\s)]+)/i, fromComment);
  const uidText = match(/\(\S+,\s*from userid (\d+)\)/i, raw) ?? match(/\(qmail \d+ invoked by uid (\d+)\)/i, raw);
  const authUser =
    match(/\(Authenticated sender:\s*([^)\s]+)\)/i, raw) ??
    match(/authenticated (?:as|user) ([^\s)]+)/i, raw) ??
    match(/\(authenticated bits=\d+\).*?\bauth(?:id)?=([^\s)]+)/i, raw);
  let clientName: string | null = null;
  if (fromComment !== null) {
    const first = fromComment.trim().split(/\s+/)[0] ?? "";
    if (first !== "" && !first.startsWith("[") && !first.includes("=")) clientName = first.toLowerCase();
  }
  return {
    raw,
    helo: eximHelo ?? (heloIsIp !== null ? null : heloWord),
    clientName,
    // qmail: "from name (HELO x) (192.0.2.1)"; Exchange-style: "from name (192.0.2.1) by".
    clientIp: ipInComment ?? heloIsIp ?? match(/^from\s+\S+(?:\s+\([^)]*\))*?\s+\((\d{1,3}(?:\.\d{1,3}){3})\)/i, raw),
    by: word("by")?.toLowerCase().replace(/\.$/, "") ?? null,
    with: word("with"),
    id: word("id")?.replace(/^<|>$/g, "") ?? null,
    for: word("for")?.replace(/^<|>$/g, "") ?? null,
    authUser,
    uid: uidText === null ? null : Number(uidText),
    envelopeFrom: match(/\(envelope-from <([^>]*)>\)/i, raw),
    qmail: match(/\((qmail \d+ invoked [^)]*)\)/i, raw),
    dateMs: Number.isFinite(date) ? date : null,
  };
}

/** True when the protocol says the client authenticated (RFC 3848: ESMTPA, ESMTPSA, LMTPA, ...). */
export function authenticatedProtocol(withProto: string | null): boolean {
  return withProto !== null && /^(E?SMTPS?A|LMTPS?A|UTF8SMTPS?A)$/i.test(withProto);
}

/** True when the hop took the message from a local process, not from the network. */
export function localHop(hop: ReceivedHop): boolean {
  if (hop.uid !== null) return true;
  if (hop.with !== null && /^local(-\w+)?$/i.test(hop.with)) return true;
  return hop.clientIp === null && hop.helo === null && hop.qmail === null && hop.by !== null && /^by\s/i.test(hop.raw);
}
