import type { Row } from "../store/clickhouse/store.js";
import { strings } from "../store/clickhouse/sql.js";
import { sqlLiteral, tableName } from "../store/clickhouse/sql-literal.js";
import type { FleetHostNames, HeaderTrace } from "./trace-complaint.js";

/** Runs one SQL statement against the store (direct, or through the running collector). */
export type QueryFn = (sql: string) => Promise<Row[]>;

/** The `messages` row a complaint was matched to. */
export interface MessageMatch {
  host_id: string;
  queue_id: string;
  message_id: string;
  sender: string;
  sasl_user: string;
  local_user: string;
  script: string;
  client_ip: string;
  received_at_unix_ms: number;
  /** How it was found: "queue_id", "message_id" or "sender_time". */
  by: "queue_id" | "message_id" | "sender_time";
}

/** An incident of the message's identity around its time. */
export interface IncidentMatch {
  id: string;
  rule: string;
  subject: string;
  status: string;
  first_seen_unix_ms: number;
  last_seen_unix_ms: number;
}

/** Latest `hosts` row per host: names, addresses and MTA names. */
export async function loadFleetNames(query: QueryFn, database: string): Promise<FleetHostNames[]> {
  const rows = await query(
    `SELECT host_id, argMax(hostname, last_seen_unix_ms) AS last_hostname, argMax(ip_addresses, last_seen_unix_ms) AS last_ips, argMax(mta_names, last_seen_unix_ms) AS last_mta_names FROM ${tableName(database, "hosts")} GROUP BY host_id`,
  );
  return rows.map((r) => ({ hostId: String(r.host_id), hostname: String(r.last_hostname ?? ""), ipAddresses: strings(r.last_ips), mtaNames: strings(r.last_mta_names) }));
}

const COLUMNS = "host_id, queue_id, message_id, sender, sasl_user, local_user, script, client_ip, received_at_unix_ms";
/** How far from the header's time a sender+time match may be (clocks, queue delays). */
const SENDER_TIME_SLACK_MS = 15 * 60_000;

function toMatch(r: Row, by: MessageMatch["by"]): MessageMatch {
  return {
    host_id: String(r.host_id),
    queue_id: String(r.queue_id),
    message_id: String(r.message_id),
    sender: String(r.sender),
    sasl_user: String(r.sasl_user),
    local_user: String(r.local_user),
    script: String(r.script),
    client_ip: String(r.client_ip),
    received_at_unix_ms: Number(r.received_at_unix_ms),
    by,
  };
}

/**
 * Finds the complained-about message in `messages`: by our hop's queue id on
 * our host (queue ids are reused, so the one received nearest the hop's
 * time), else by Message-ID, else by envelope sender within a quarter of an
 * hour of the hop's time.
 */
export async function findMessage(query: QueryFn, database: string, t: HeaderTrace): Promise<MessageMatch | null> {
  const messages = tableName(database, "messages");
  const near = t.time_ms === null ? "received_at_unix_ms DESC" : `abs(toInt64(received_at_unix_ms) - ${Math.round(t.time_ms)})`;
  const hostFilter = t.host === null ? "" : ` AND host_id = ${sqlLiteral(t.host)}`;
  if (t.queue_id !== null && t.host !== null) {
    const rows = await query(`SELECT ${COLUMNS} FROM ${messages} WHERE queue_id = ${sqlLiteral(t.queue_id)}${hostFilter} ORDER BY ${near} LIMIT 1`);
    if (rows[0]) return toMatch(rows[0], "queue_id");
  }
  if (t.message_id !== null) {
    const rows = await query(`SELECT ${COLUMNS} FROM ${messages} WHERE message_id = ${sqlLiteral(t.message_id)}${hostFilter} ORDER BY ${near} LIMIT 1`);
    if (rows[0]) return toMatch(rows[0], "message_id");
  }
  const sender = t.envelope_sender ?? t.from;
  if (sender !== null && t.time_ms !== null) {
    const from = Math.round(t.time_ms - SENDER_TIME_SLACK_MS);
    const to = Math.round(t.time_ms + SENDER_TIME_SLACK_MS);
    const rows = await query(
      `SELECT ${COLUMNS} FROM ${messages} WHERE lower(sender) = ${sqlLiteral(sender.toLowerCase())}${hostFilter} AND received_at_unix_ms BETWEEN ${from} AND ${to} ORDER BY ${near} LIMIT 1`,
    );
    if (rows[0]) return toMatch(rows[0], "sender_time");
  }
  return null;
}

/** Incidents whose subject is one of `subjects` and whose activity overlaps [timeMs - aroundMs, timeMs + aroundMs], on `host` or fleet-wide. */
export async function findIncidents(query: QueryFn, database: string, host: string | null, subjects: readonly string[], timeMs: number, aroundMs: number): Promise<IncidentMatch[]> {
  const wanted = [...new Set(subjects.filter((s) => s.length > 0))];
  if (wanted.length === 0) return [];
  const alerts = tableName(database, "alerts");
  const rows = await query(
    `SELECT incident_id, argMax(rule, version) AS r, argMax(subject, version) AS s, argMax(status, version) AS st, argMax(scope_host, version) AS sh, argMax(hosts, version) AS hs,
  min(first_seen_unix_ms) AS first_ms, max(last_seen_unix_ms) AS last_ms
FROM ${alerts}
GROUP BY incident_id
HAVING s IN (${wanted.map(sqlLiteral).join(", ")}) AND first_ms <= ${Math.round(timeMs + aroundMs)} AND last_ms >= ${Math.round(timeMs - aroundMs)}
ORDER BY first_ms`,
  );
  return rows
    .filter((r) => host === null || String(r.sh) === "" || String(r.sh) === host || strings(r.hs).includes(host))
    .map((r) => ({ id: String(r.incident_id), rule: String(r.r), subject: String(r.s), status: String(r.st), first_seen_unix_ms: Number(r.first_ms), last_seen_unix_ms: Number(r.last_ms) }));
}
