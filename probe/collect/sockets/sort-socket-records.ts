import { compareText } from "../../../shared/text/compare-text.js";
import type { SocketRecord } from "../../../shared/types/socket-record.js";

function compareDecimalStrings(a: string, b: string): number {
  // Inodes can exceed 2^53; comparing by length first orders decimal strings numerically without BigInt.
  const aDecimal = /^\d+$/.test(a);
  const bDecimal = /^\d+$/.test(b);
  if (aDecimal && bDecimal && a.length !== b.length) return a.length - b.length;
  if (aDecimal !== bDecimal) return aDecimal ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Total order used by both socket sources: inode (numeric), then proto, local, remote endpoint, then pid (null last). */
export function compareSocketRecords(a: SocketRecord, b: SocketRecord): number {
  return (
    compareDecimalStrings(a.inode, b.inode) ||
    compareText(a.proto, b.proto) ||
    compareText(a.local_address, b.local_address) ||
    a.local_port - b.local_port ||
    compareText(a.remote_address, b.remote_address) ||
    a.remote_port - b.remote_port ||
    (a.pid ?? Number.MAX_SAFE_INTEGER) - (b.pid ?? Number.MAX_SAFE_INTEGER)
  );
}

/** Sorts records in place with compareSocketRecords and returns the same array. */
export function sortSocketRecords(records: SocketRecord[]): SocketRecord[] {
  return records.sort(compareSocketRecords);
}
