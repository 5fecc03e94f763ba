/**
 * One TCP socket on an SMTP port with the process that owns it: the union of
 * what `lsof -Pni tcp:25,465,587` and `lsof -Pnp PID` (cwd, txt) show.
 * Field names are snake_case because this is also the JSON printed by
 * `spamtrace-probe snapshot --json`, a stable interface.
 */
export interface SocketRecord {
  /** "tcp" or "tcp6". */
  proto: "tcp" | "tcp6";
  /** Kernel TCP state name, e.g. "ESTABLISHED", "LISTEN", "SYN_SENT", "TIME_WAIT". */
  state: string;
  /** "listen" (local listener), "inbound" (local port is the SMTP port), "outbound" (remote port is the SMTP port). */
  direction: "listen" | "inbound" | "outbound";
  /** Local IP address as text (IPv4 dotted or IPv6; IPv4-mapped IPv6 shown as IPv4). */
  local_address: string;
  /** Local TCP port. */
  local_port: number;
  /** Remote IP address as text; "0.0.0.0" / "::" for listeners. */
  remote_address: string;
  /** Remote TCP port; 0 for listeners. */
  remote_port: number;
  /** Socket inode number (decimal string, as in /proc/net/tcp and lsof's DEVICE column). */
  inode: string;
  /** Owning process id, or null when no process could be resolved (e.g. TIME_WAIT, or no permission). */
  pid: number | null;
  /** Parent process id, or null when unknown. */
  ppid: number | null;
  /** Real uid of the process (of the socket when no process), or null when unknown. */
  uid: number | null;
  /** User name for uid from /etc/passwd, or null when the uid has no entry. */
  user: string | null;
  /** Process short name (/proc/PID/comm, lsof COMMAND), or null. */
  comm: string | null;
  /** Command line arguments (/proc/PID/cmdline), empty when unknown. */
  argv: string[];
  /** Absolute path of the executable (/proc/PID/exe, lsof `txt`), without the " (deleted)" suffix; null when unknown. */
  exe: string | null;
  /** True when the executable file has been deleted from disk while running. */
  exe_deleted: boolean;
  /** Current working directory of the process (/proc/PID/cwd, lsof `cwd`), or null. */
  cwd: string | null;
}

/** Where a socket snapshot came from. */
export type SocketSource = "proc" | "lsof";

/** Default SMTP ports watched: 25 (MTA relay), 465 (submissions/TLS), 587 (submission). */
export const DEFAULT_SMTP_PORTS: readonly number[] = [25, 465, 587];
