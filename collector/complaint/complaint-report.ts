import { findIncidents, findMessage, loadFleetNames, type IncidentMatch, type MessageMatch, type QueryFn } from "./lookup-message.js";
import type { ComplaintMessage } from "./read-complaint.js";
import { traceHeaders, type Verdict } from "./trace-complaint.js";

/** `spamtrace complaint --json`: the stable shape documented in docs/analyst-queries.md. */
export interface ComplaintJson {
  verdict: Verdict;
  host: string | null;
  hop: string | null;
  sasl_user: string | null;
  local_user: string | null;
  script: string | null;
  client_ip: string | null;
  message_id: string | null;
  queue_id: string | null;
  evidence: string[];
  incidents: string[];
}

/** The report and what it was built from (for the human-readable form). */
export interface ComplaintReport {
  json: ComplaintJson;
  message: MessageMatch | null;
  incidents: IncidentMatch[];
}

const orNull = (s: string | null | undefined): string | null => (s === undefined || s === null || s.length === 0 ? null : s);

/** Traces a parsed complaint through the fleet's hosts, its `messages` rows and its incidents. */
export async function buildComplaintReport(complaint: ComplaintMessage, query: QueryFn, database: string, aroundMs: number): Promise<ComplaintReport> {
  const hosts = await loadFleetNames(query, database);
  const t = traceHeaders(complaint.headers, hosts);
  const evidence: string[] = [];
  if (complaint.wrapper) evidence.push(`feedback report${complaint.wrapper.feedbackType ? ` (Feedback-Type: ${complaint.wrapper.feedbackType})` : ""}${complaint.wrapper.reporter ? ` from ${complaint.wrapper.reporter}` : ""}: the attached original is traced`);
  evidence.push(...t.evidence);
  const message = t.verdict === "not-ours" ? null : await findMessage(query, database, t);
  if (message) {
    evidence.push(`messages row found by ${message.by.replace("_", " ")}: ${message.host_id} queue id ${message.queue_id} received ${new Date(message.received_at_unix_ms).toISOString()}${message.sasl_user ? `, SASL user ${message.sasl_user}` : ""}${message.local_user ? `, local user ${message.local_user}` : ""}${message.script ? `, script ${message.script}` : ""}${message.client_ip ? `, client ${message.client_ip}` : ""}`);
    if (t.sasl_user !== null && message.sasl_user !== "" && t.sasl_user.toLowerCase() !== message.sasl_user) evidence.push(`the headers name ${t.sasl_user} but the MTA's log names ${message.sasl_user}: the log is what the host saw`);
  } else if (t.verdict !== "not-ours") {
    evidence.push("no messages row matches (queue id, Message-ID, sender and time): the message may predate the messages retention or the probe");
  }
  const localFromUid = t.uid === null ? null : `uid:${t.uid}`;
  const json: ComplaintJson = {
    verdict: t.verdict,
    host: message?.host_id ?? t.host,
    hop: t.hop,
    sasl_user: orNull(message?.sasl_user) ?? t.sasl_user,
    local_user: orNull(message?.local_user) ?? t.local_user ?? localFromUid,
    script: orNull(message?.script) ?? t.script,
    client_ip: orNull(message?.client_ip) ?? t.client_ip,
    message_id: orNull(message?.message_id) ?? t.message_id,
    queue_id: message?.queue_id ?? t.queue_id,
    evidence,
    incidents: [],
  };
  // A queued message has no Return-Path yet: the MTA's log knows the envelope sender.
  const envelope = orNull(message?.sender) ?? t.envelope_sender;
  if (t.from !== null && json.host !== null && envelope !== null && domain(t.from) !== domain(envelope)) {
    evidence.push(`From: ${t.from} differs from the envelope sender ${envelope} (a forged or form-generated From:)`);
  }
  const time = message?.received_at_unix_ms ?? t.time_ms;
  const incidents =
    json.verdict === "not-ours" || time === null
      ? []
      : await findIncidents(query, database, json.host, [json.sasl_user, json.local_user, json.script, json.client_ip, message?.sender ?? null].filter((s): s is string => s !== null), time, aroundMs);
  json.incidents = incidents.map((i) => i.id);
  return { json, message, incidents };
}

function domain(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/** The short report for people. */
export function formatComplaintReport(r: ComplaintReport): string {
  const j = r.json;
  const head =
    j.verdict === "origin" ? `ORIGIN: ${j.host} sent this message itself` : j.verdict === "relay" ? `RELAY: ${j.host} relayed this message for someone else` : "NOT OURS: no hop of this message is a fleet host";
  const lines = [head];
  const field = (name: string, value: string | null): void => {
    if (value !== null) lines.push(`  ${name.padEnd(11)} ${value}`);
  };
  field("SASL user", j.sasl_user);
  field("local user", j.local_user);
  field("script", j.script);
  field("client IP", j.client_ip);
  field("queue id", j.queue_id);
  field("message-id", j.message_id);
  field("our hop", j.hop === null ? null : j.hop.length > 160 ? `${j.hop.slice(0, 157)}...` : j.hop);
  lines.push("evidence:", ...j.evidence.map((e) => `  - ${e}`));
  if (r.incidents.length > 0) {
    lines.push("incidents:", ...r.incidents.map((i) => `  ${i.id}  ${i.rule} ${i.subject} (${i.status}, ${new Date(i.first_seen_unix_ms).toISOString()} .. ${new Date(i.last_seen_unix_ms).toISOString()})`));
  } else if (j.verdict !== "not-ours") lines.push("incidents: none for this identity around that time");
  return `${lines.join("\n")}\n`;
}
