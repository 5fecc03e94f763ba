import type { SocketRecord } from "../../../shared/types/socket-record.js";

/** The address part of a socket row that filtering and direction need. */
export interface SocketEndpoints {
  /** Kernel state name, e.g. "LISTEN". */
  state: string;
  /** Local TCP port. */
  local_port: number;
  /** Remote TCP port (0 for listeners). */
  remote_port: number;
}

/**
 * Direction of a socket relative to the watched ports, or null when neither
 * port is watched. Rule, in order:
 * 1. state LISTEN → "listen" (when the local port is watched);
 * 2. local port watched → "inbound" — this also covers a connection between
 *    two watched ports (e.g. 127.0.0.1:25 → 127.0.0.1:25), because clients
 *    normally use an ephemeral local port, so a watched local port means we
 *    are the server side;
 * 3. remote port watched → "outbound".
 * A LISTEN socket on an unwatched port is never kept, whatever its remote port.
 */
export function socketDirection(
  socket: SocketEndpoints,
  ports: ReadonlySet<number>,
): SocketRecord["direction"] | null {
  const localWatched = ports.has(socket.local_port);
  if (socket.state === "LISTEN") return localWatched ? "listen" : null;
  if (localWatched) return "inbound";
  if (ports.has(socket.remote_port)) return "outbound";
  return null;
}

/** Keeps the sockets whose local or remote port is watched, each paired with its direction (see socketDirection). */
export function filterSmtpSockets<T extends SocketEndpoints>(
  sockets: Iterable<T>,
  ports: ReadonlySet<number>,
): Array<T & { direction: SocketRecord["direction"] }> {
  const kept: Array<T & { direction: SocketRecord["direction"] }> = [];
  for (const socket of sockets) {
    const direction = socketDirection(socket, ports);
    if (direction !== null) kept.push({ ...socket, direction });
  }
  return kept;
}
