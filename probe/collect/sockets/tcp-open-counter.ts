import { closeSync, openSync, readSync } from "node:fs";

/**
 * ActiveOpens from the text of /proc/net/snmp: every TCP connect() of the
 * network namespace (IPv4 and IPv6) counts once, so it changes whenever a
 * process on this host opened a connection, SMTP or not, loopback included.
 * Connections accepted from other hosts (PassiveOpens) are left out: on a web
 * host they arrive all the time, and inbound SMTP sessions are in the MTA's
 * log; the socket table's periodic read still shows the long ones.
 * Null when the Tcp lines are missing or malformed.
 */
export function parseTcpActiveOpens(snmp: string): number | null {
  const lines = snmp.split("\n").filter((line) => line.startsWith("Tcp: "));
  if (lines.length < 2) return null;
  const column = lines[0]!.split(" ").indexOf("ActiveOpens");
  const value = column < 0 ? undefined : lines[1]!.split(" ")[column];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * Tells whether a process of this host opened a TCP connection since the last call, from
 * /proc/net/snmp (about 0.07 ms of kernel CPU: a fixed set of counters,
 * whereas /proc/net/tcp walks the whole connection hash table, 2-3 ms on a
 * host with a few GB of RAM). The probe polls this often and reads the socket
 * tables only when it says yes (see probe/pipeline/sample-sockets.ts).
 */
export class TcpOpenWatch {
  private last: number | null = null;
  private fd: number | null = null;
  private readonly buffer = Buffer.allocUnsafe(16 * 1024);

  constructor(private readonly procRoot = "/proc") {}

  /** True when the counters moved since the previous call, or cannot be read (then every poll samples). */
  opened(): boolean {
    const opens = this.readActiveOpens();
    if (opens === null) return true;
    const moved = opens !== this.last;
    this.last = opens;
    return moved;
  }

  /** Closes the file kept open between calls (a later call opens it again). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /**
   * The file stays open and is read again from offset 0, which makes the
   * kernel regenerate it: 23 us per check instead of 45 us with open and
   * close (measured, 5,000 reads), 20 times a second.
   */
  private readActiveOpens(): number | null {
    try {
      this.fd ??= openSync(`${this.procRoot}/net/snmp`, "r");
      const bytes = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
      return parseTcpActiveOpens(this.buffer.toString("latin1", 0, bytes));
    } catch {
      this.close();
      return null;
    }
  }
}
