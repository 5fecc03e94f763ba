import { headerIdentities, type MailHeader } from "./header-identities.js";
import { authenticatedProtocol, localHop, parseReceived, type ReceivedHop } from "./parse-received.js";

/** What the complaint command knows of one fleet host (its latest `hosts` row). */
export interface FleetHostNames {
  hostId: string;
  hostname: string;
  ipAddresses: string[];
  /** Names the host's MTA writes into Received: (hosts.mta_names). */
  mtaNames: string[];
}

/** "origin": our host took the message from a user, a script or a local process; "relay": someone else's hop came before ours; "not-ours": no hop is the fleet's. */
export type Verdict = "origin" | "relay" | "not-ours";

/** What the headers alone say. */
export interface HeaderTrace {
  verdict: Verdict;
  /** Host id of the fleet host that handled it; null when not ours. */
  host: string | null;
  /** Our hop's Received: header (unfolded); null when not ours or not written. */
  hop: string | null;
  /** Our hop's parsed fields. */
  ourHop: ReceivedHop | null;
  sasl_user: string | null;
  local_user: string | null;
  /** uid of a local submission. */
  uid: number | null;
  script: string | null;
  client_ip: string | null;
  message_id: string | null;
  queue_id: string | null;
  /** Envelope sender as the headers show it (Return-Path, Exim envelope-from). */
  envelope_sender: string | null;
  /** From: address. */
  from: string | null;
  /** When our host received it (our hop's date, else Date:), unix ms. */
  time_ms: number | null;
  /** One human-readable fact per entry, newest hop first. */
  evidence: string[];
}

const LOOPBACK = /^(127\.|::1$|0:0:0:0:0:0:0:1$)/;

/** Finds the fleet host a Received "by" name or an address belongs to. */
class FleetIndex {
  private readonly byName = new Map<string, FleetHostNames>();
  private readonly byIp = new Map<string, FleetHostNames>();
  constructor(hosts: readonly FleetHostNames[]) {
    for (const h of hosts) {
      for (const n of [h.hostId, h.hostname, ...h.mtaNames]) if (n) this.byName.set(n.toLowerCase().replace(/\.$/, ""), h);
      for (const ip of h.ipAddresses) this.byIp.set(ip, h);
    }
  }
  name(name: string | null): FleetHostNames | undefined {
    return name === null ? undefined : this.byName.get(name.toLowerCase());
  }
  ip(ip: string | null): FleetHostNames | undefined {
    return ip === null ? undefined : this.byIp.get(ip);
  }
}

function headerValue(headers: readonly MailHeader[], key: string): string | null {
  return headers.find((h) => h.key === key)?.value.trim() ?? null;
}

function angleless(v: string | null): string | null {
  if (v === null) return null;
  const m = /<([^>]*)>/.exec(v);
  return (m ? m[1]! : v).trim() || null;
}

/**
 * Walks the Received: chain newest first to the first hop a fleet host wrote
 * (its `by` is one of the host's names, MTA names included), follows the
 * fleet's own hops down to the oldest contiguous one (a web server handing
 * to the fleet's outbound relay is still ours), and decides: a local
 * submission, an authenticated one, or one from the host itself with nobody
 * else's hop before it is an **origin**; a hop of someone else before ours,
 * or an unauthenticated client from the network, is a **relay**. Then names
 * what the hop and the X- headers name.
 */
export function traceHeaders(headers: readonly MailHeader[], hosts: readonly FleetHostNames[]): HeaderTrace {
  const fleet = new FleetIndex(hosts);
  const hops = headers.filter((h) => h.key === "received").map((h) => parseReceived(h.value));
  const named = headerIdentities(headers);
  const evidence: string[] = [];
  const messageId = angleless(headerValue(headers, "message-id"));
  const from = angleless(headerValue(headers, "from"));
  const dateHeader = headerValue(headers, "date");
  const base = {
    message_id: messageId,
    from,
    envelope_sender: angleless(headerValue(headers, "return-path")),
  };

  let ours = -1;
  let host: FleetHostNames | undefined;
  for (let i = 0; i < hops.length && ours < 0; i++) {
    host = fleet.name(hops[i]!.by);
    if (host) ours = i;
    else if (fleet.ip(hops[i]!.clientIp) && i + 1 >= hops.length) {
      // The fleet host's own Received: is missing (stripped, or not written): the next hop saw its address.
      host = fleet.ip(hops[i]!.clientIp);
      evidence.push(`Received #${i + 1} (by ${hops[i]!.by ?? "?"}) got it from ${hops[i]!.clientIp}, an address of ${host!.hostId}; that host's own Received: is missing`);
      return finish("origin", host!, null, i);
    }
  }
  if (ours < 0 || host === undefined) {
    const byHeader = named.hostNames.map((n) => fleet.name(n)).find((h) => h !== undefined);
    if (byHeader) {
      evidence.push(`no Received: hop is the fleet's, but ${named.evidence.find((e) => e.includes(byHeader.hostname) || byHeader.mtaNames.some((n) => e.includes(n))) ?? "a panel header"} names ${byHeader.hostId}`);
      return finish("origin", byHeader, null, -1);
    }
    evidence.push(hops.length === 0 ? "the message has no Received: header" : `none of the ${hops.length} Received: hops names a fleet host (by ${hops.map((h) => h.by ?? "?").join(", ")})`);
    return { ...base, verdict: "not-ours", host: null, hop: null, ourHop: null, sasl_user: named.saslUser, local_user: named.localUser, uid: named.uid, script: named.script, client_ip: null, queue_id: null, time_ms: null, evidence: [...evidence, ...named.evidence] };
  }
  if (ours > 0) evidence.push(`Received #${ours + 1} (newest first) is the first hop the fleet wrote: by ${hops[ours]!.by} = ${host.hostId}; the ${ours} newer hop(s) are the recipient's`);
  else evidence.push(`Received #1 is the fleet's: by ${hops[0]!.by} = ${host.hostId}`);
  // The fleet's own earlier hops (another fleet host, or qmail's by-less "invoked by uid" line) are still ours.
  let current: FleetHostNames = host;
  while (ours + 1 < hops.length) {
    const older = hops[ours + 1]!;
    const olderHost: FleetHostNames | undefined = older.by === null && older.qmail !== null ? current : fleet.name(older.by);
    if (olderHost === undefined) break;
    ours++;
    if (olderHost !== current) evidence.push(`Received #${ours + 1}: ${olderHost.hostId} handed it to ${current.hostId}`);
    current = olderHost;
  }
  return finish(undefined, current, hops[ours]!, ours);

  function finish(forced: Verdict | undefined, h: FleetHostNames, hop: ReceivedHop | null, index: number): HeaderTrace {
    const older = index >= 0 ? hops[index + 1] : undefined;
    let verdict: Verdict = forced ?? "origin";
    const authUser = hop?.authUser ?? null;
    const authed = authUser !== null || authenticatedProtocol(hop?.with ?? null);
    if (hop !== null && forced === undefined) {
      if (localHop(hop)) {
        evidence.push(hop.uid !== null ? `our hop took it from a local process (uid ${hop.uid})` : `our hop took it from a local process (with ${hop.with ?? "local"})`);
      } else if (older !== undefined) {
        verdict = "relay";
        evidence.push(`someone else's hop comes before ours: ${older.by ?? "?"} (Received #${index + 2}); ${h.hostId} relayed it from ${hop.clientIp ?? "?"}${authed ? ` after SMTP AUTH${authUser ? ` as ${authUser}` : ""}` : " without authentication"}`);
      } else if (authed) {
        evidence.push(`our hop took it from ${hop.clientIp ?? "?"} after SMTP AUTH (with ${hop.with ?? "?"})${authUser ? ` as ${authUser}` : ""}`);
      } else if (hop.clientIp !== null && (LOOPBACK.test(hop.clientIp) || h.ipAddresses.includes(hop.clientIp))) {
        evidence.push(`our hop took it from ${hop.clientIp}, the host itself (a local process or webmail over SMTP)`);
      } else {
        verdict = "relay";
        evidence.push(`our hop took it from ${hop.clientIp ?? "an unknown client"} without authentication and no earlier hop: relayed for a client on the network`);
      }
    }
    const localUser = hop?.with !== null && hop !== null && /^local/i.test(hop.with ?? "") ? hop.helo : null;
    const time = hop?.dateMs ?? (dateHeader === null ? null : Date.parse(dateHeader));
    return {
      ...base,
      envelope_sender: hop?.envelopeFrom ?? base.envelope_sender,
      verdict,
      host: h.hostId,
      hop: hop?.raw ?? null,
      ourHop: hop,
      sasl_user: authUser ?? named.saslUser,
      local_user: localUser ?? named.localUser,
      uid: hop?.uid ?? named.uid,
      script: named.script,
      client_ip: hop !== null && !localHop(hop) ? hop.clientIp : null,
      queue_id: hop?.id ?? null,
      time_ms: time !== null && Number.isFinite(time) ? time : null,
      evidence: [...evidence, ...named.evidence],
    };
  }
}
