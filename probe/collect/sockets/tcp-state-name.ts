/**
 * Linux kernel TCP state names, indexed by the hex code in the `st` column of
 * /proc/net/tcp (include/net/tcp_states.h). These are also the names Linux
 * lsof prints in `TST=`, so both socket sources agree.
 */
export const TCP_STATE_BY_CODE: ReadonlyMap<number, string> = new Map([
  [0x01, "ESTABLISHED"],
  [0x02, "SYN_SENT"],
  [0x03, "SYN_RECV"],
  [0x04, "FIN_WAIT1"],
  [0x05, "FIN_WAIT2"],
  [0x06, "TIME_WAIT"],
  [0x07, "CLOSE"],
  [0x08, "CLOSE_WAIT"],
  [0x09, "LAST_ACK"],
  [0x0a, "LISTEN"],
  [0x0b, "CLOSING"],
  [0x0c, "NEW_SYN_RECV"],
]);

// BSD/macOS lsof (and some older Linux tools) spell a few states differently.
const STATE_ALIASES: ReadonlyMap<string, string> = new Map([
  ["SYN_RCVD", "SYN_RECV"],
  ["SYN_RCDV", "SYN_RECV"],
  ["SYN_RECEIVED", "SYN_RECV"],
  ["FIN_WAIT_1", "FIN_WAIT1"],
  ["FIN_WAIT_2", "FIN_WAIT2"],
  ["CLOSED", "CLOSE"],
]);

/** State name for a /proc/net/tcp `st` code, e.g. 0x0a → "LISTEN"; unknown codes become "UNKNOWN_<code>". */
export function tcpStateNameFromCode(code: number): string {
  return TCP_STATE_BY_CODE.get(code) ?? `UNKNOWN_${code}`;
}

/** Maps a state name from another tool (e.g. BSD lsof "SYN_RCVD") to the Linux kernel name used in SocketRecord.state. */
export function normalizeTcpStateName(name: string): string {
  const upper = name.trim().toUpperCase().replace(/-/g, "_");
  return STATE_ALIASES.get(upper) ?? upper;
}
