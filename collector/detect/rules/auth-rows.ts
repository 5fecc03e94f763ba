import type { EvidenceRow } from "../../vocabulary/finding.js";
import { num, strings } from "../../store/clickhouse/sql.js";

/** One auth_windows row. */
export interface AuthRow {
  hostId: string;
  clientIp: string;
  username: string;
  atMs: number;
  windowSeconds: number;
  failures: number;
  successes: number;
  services: string[];
  lines: string[];
}

/** Columns selected for {@link toAuthRow}. */
export const AUTH_ROW_COLUMNS = "host_id, client_ip, username, window_start_unix_ms, window_seconds, failures, successes, services, sample_lines";

/** Reads a row selected with {@link AUTH_ROW_COLUMNS}. */
export function toAuthRow(r: Record<string, unknown>): AuthRow {
  return {
    hostId: String(r.host_id),
    clientIp: String(r.client_ip),
    username: String(r.username),
    atMs: num(r.window_start_unix_ms),
    windowSeconds: num(r.window_seconds) || 60,
    failures: num(r.failures),
    successes: num(r.successes),
    services: strings(r.services),
    lines: strings(r.sample_lines),
  };
}

/** An auth row as evidence. */
export function authEvidenceRow(r: AuthRow): EvidenceRow {
  return { table: "auth_windows", host_id: r.hostId, at_unix_ms: r.atMs, values: { client_ip: r.clientIp, username: r.username, failures: r.failures, successes: r.successes, services: r.services } };
}
