import { describe, expect, it } from "vitest";
import { parseProcNetTcp, type ParsedProcNetTcp } from "./parse-proc-net-tcp.js";
import { CAPTURED_PROC_NET_TCP, CAPTURED_PROC_NET_TCP6 } from "./captured-sockets.test-support.js";

const TCP_HEADER =
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

interface Case {
  name: string;
  input: string;
  proto: "tcp" | "tcp6";
  byteOrder?: "LE" | "BE";
  ports?: ReadonlySet<number>;
  output: ParsedProcNetTcp;
}

const cases: Case[] = [
  {
    name: "captured IPv4 listener, inbound and outbound loopback connection",
    input: CAPTURED_PROC_NET_TCP,
    proto: "tcp",
    byteOrder: "LE",
    output: {
      skipped: 0,
      rows: [
        { proto: "tcp", state: "LISTEN", local_address: "127.0.0.1", local_port: 38663, remote_address: "0.0.0.0", remote_port: 0, uid: 0, inode: "16372" },
        { proto: "tcp", state: "ESTABLISHED", local_address: "127.0.0.1", local_port: 38663, remote_address: "127.0.0.1", remote_port: 49984, uid: 0, inode: "17411" },
        { proto: "tcp", state: "ESTABLISHED", local_address: "127.0.0.1", local_port: 49984, remote_address: "127.0.0.1", remote_port: 38663, uid: 65534, inode: "17410" },
      ],
    },
  },
  {
    name: "captured IPv6 wildcard listener and ::1 connection",
    input: CAPTURED_PROC_NET_TCP6,
    proto: "tcp6",
    byteOrder: "LE",
    output: {
      skipped: 0,
      rows: [
        { proto: "tcp6", state: "LISTEN", local_address: "::", local_port: 44905, remote_address: "::", remote_port: 0, uid: 0, inode: "16373" },
        { proto: "tcp6", state: "ESTABLISHED", local_address: "::1", local_port: 52028, remote_address: "::1", remote_port: 44905, uid: 0, inode: "16374" },
        { proto: "tcp6", state: "ESTABLISHED", local_address: "::1", local_port: 44905, remote_address: "::1", remote_port: 52028, uid: 0, inode: "16375" },
      ],
    },
  },
  {
    name: "outbound to a remote MX on 25, SYN_SENT, TIME_WAIT with inode 0, CLOSE_WAIT",
    input: [
      TCP_HEADER,
      "   0: 0302010A:C822 057100CB:0019 01 00000000:00000000 00:00000000 00000000    33        0 884211 1 0000000000000000 20 4 30 10 -1",
      "   1: 0302010A:9C40 057100CB:0019 02 00000001:00000000 01:00000113 00000002    33        0 884305 2 0000000000000000 1000 0 0 10 -1",
      "   2: 0302010A:0019 0A0200C0:E1F0 06 00000000:00000000 03:000016CF 00000000     0        0 0 3 0000000000000000",
      "   3: 0302010A:024B 0A0200C0:D431 08 00000000:00000000 00:00000000 00000000   107        0 991 1 0000000000000000 20 4 0 10 -1",
    ].join("\n"),
    proto: "tcp",
    byteOrder: "LE",
    output: {
      skipped: 0,
      rows: [
        { proto: "tcp", state: "ESTABLISHED", local_address: "10.1.2.3", local_port: 51234, remote_address: "203.0.113.5", remote_port: 25, uid: 33, inode: "884211" },
        { proto: "tcp", state: "SYN_SENT", local_address: "10.1.2.3", local_port: 40000, remote_address: "203.0.113.5", remote_port: 25, uid: 33, inode: "884305" },
        { proto: "tcp", state: "TIME_WAIT", local_address: "10.1.2.3", local_port: 25, remote_address: "192.0.2.10", remote_port: 57840, uid: 0, inode: "0" },
        { proto: "tcp", state: "CLOSE_WAIT", local_address: "10.1.2.3", local_port: 587, remote_address: "192.0.2.10", remote_port: 54321, uid: 107, inode: "991" },
      ],
    },
  },
  {
    name: "IPv6 global, link-local and IPv4-mapped addresses, unknown state code",
    input: [
      "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: B80D0120000000000000000025000000:C822 5014002A0B0C0C40000000001A000000:0019 01 00000000:00000000 00:00000000 00000000  1001        0 5550 1 0000000000000000 20 4 30 10 -1",
      "   1: 0000000000000000FFFF0000057100CB:01D1 0000000000000000FFFF00000A0200C0:D431 03 00000000:00000000 00:00000000 00000000     0        0 5551 1 0000000000000000 20 4 30 10 -1",
      "   2: 000080FE000000000000000001000000:0019 B80D0120000000000000010001000000:9C40 0D 00000000:00000000 00:00000000 00000000     0        0 5552 1 0000000000000000 20 4 30 10 -1",
    ].join("\n"),
    proto: "tcp6",
    byteOrder: "LE",
    output: {
      skipped: 0,
      rows: [
        { proto: "tcp6", state: "ESTABLISHED", local_address: "2001:db8::25", local_port: 51234, remote_address: "2a00:1450:400c:c0b::1a", remote_port: 25, uid: 1001, inode: "5550" },
        { proto: "tcp6", state: "SYN_RECV", local_address: "203.0.113.5", local_port: 465, remote_address: "192.0.2.10", remote_port: 54321, uid: 0, inode: "5551" },
        { proto: "tcp6", state: "UNKNOWN_13", local_address: "fe80::1", local_port: 25, remote_address: "2001:db8::1:0:0:1", remote_port: 40000, uid: 0, inode: "5552" },
      ],
    },
  },
  {
    name: "big-endian host: words are printed in network order",
    input: "   0: 7F000001:0019 CB007105:C822 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0",
    proto: "tcp",
    byteOrder: "BE",
    output: {
      skipped: 0,
      rows: [{ proto: "tcp", state: "LISTEN", local_address: "127.0.0.1", local_port: 25, remote_address: "203.0.113.5", remote_port: 51234, uid: 0, inode: "77" }],
    },
  },
  {
    name: "malformed lines are skipped and counted; header and blank lines are not",
    input: [
      TCP_HEADER,
      "",
      "   0: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12 1 0000000000000000 100 0 0 10 0",
      "   1: 0100007F:0019 00000000:0000 0A",
      "   2: 0100007G:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 13 1",
      "   3: 00000000000000000000000001000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 14 1",
      "   4: 0100007F:019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 15 1",
      "   5: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000    -1        0 16 1",
      "   6: 0100007F:0019 00000000:0000 A 00000000:00000000 00:00000000 00000000     0        0 17 1",
      "garbage",
      "   7 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18 1",
    ].join("\n"),
    proto: "tcp",
    byteOrder: "LE",
    output: {
      skipped: 8,
      rows: [{ proto: "tcp", state: "LISTEN", local_address: "127.0.0.1", local_port: 25, remote_address: "0.0.0.0", remote_port: 0, uid: 0, inode: "12" }],
    },
  },
  {
    name: "with a port set, unwatched lines are dropped unparsed; lines of unknown shape still go through the full parser",
    input: [
      TCP_HEADER,
      "   0: 0302010A:C822 057100CB:0019 01 00000000:00000000 00:00000000 00000000    33        0 884211 1 0000000000000000 20 4 30 10 -1",
      "   1: 0302010A:C823 057100CB:01BB 01 00000000:00000000 00:00000000 00000000    33        0 884212 1 0000000000000000 20 4 30 10 -1",
      "   2: 0302010A:C824 057100CB:01BB 01 00000000:00000000 00:00000000 00000000    bad        0 884213 1",
      "   3: 0302010A:01D1 057100CB:C825 0A",
      "  10000: 0302010A:024B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 884214 1 0000000000000000 100 0 0 10 0",
      "10001: 0302010A:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 884215 1 0000000000000000 100 0 0 10 0",
    ].join("\n"),
    proto: "tcp",
    byteOrder: "LE",
    ports: new Set([25, 465, 587]),
    output: {
      skipped: 1,
      rows: [
        { proto: "tcp", state: "ESTABLISHED", local_address: "10.1.2.3", local_port: 51234, remote_address: "203.0.113.5", remote_port: 25, uid: 33, inode: "884211" },
        { proto: "tcp", state: "LISTEN", local_address: "10.1.2.3", local_port: 587, remote_address: "0.0.0.0", remote_port: 0, uid: 0, inode: "884214" },
      ],
    },
  },
  {
    name: "tcp6 with a port set",
    input: CAPTURED_PROC_NET_TCP6,
    proto: "tcp6",
    byteOrder: "LE",
    ports: new Set([52028]),
    output: {
      skipped: 0,
      rows: [
        { proto: "tcp6", state: "ESTABLISHED", local_address: "::1", local_port: 52028, remote_address: "::1", remote_port: 44905, uid: 0, inode: "16374" },
        { proto: "tcp6", state: "ESTABLISHED", local_address: "::1", local_port: 44905, remote_address: "::1", remote_port: 52028, uid: 0, inode: "16375" },
      ],
    },
  },
  {
    name: "several watched ports: rows in file order, a line with two watched ports once, lowercase hex found",
    input: [
      TCP_HEADER,
      "   0: 0302010A:024B 057100CB:0019 01 00000000:00000000 00:00000000 00000000    33        0 1 1 0000000000000000 20 4 30 10 -1",
      "   1: 0302010A:C822 057100CB:0019 01 00000000:00000000 00:00000000 00000000    33        0 2 1 0000000000000000 20 4 30 10 -1",
      "   2: 0302010a:01d1 057100cb:c825 01 00000000:00000000 00:00000000 00000000    33        0 3 1 0000000000000000 20 4 30 10 -1",
      "   3: 0302010A:C823 057100CB:01BB 01 00000000:00000000 00:00000000 00000000    33        0 4 1 0000000000000000 20 4 30 10 -1",
    ].join("\n"),
    proto: "tcp",
    byteOrder: "LE",
    ports: new Set([587, 465, 25]),
    output: {
      skipped: 0,
      rows: [
        { proto: "tcp", state: "ESTABLISHED", local_address: "10.1.2.3", local_port: 587, remote_address: "203.0.113.5", remote_port: 25, uid: 33, inode: "1" },
        { proto: "tcp", state: "ESTABLISHED", local_address: "10.1.2.3", local_port: 51234, remote_address: "203.0.113.5", remote_port: 25, uid: 33, inode: "2" },
        { proto: "tcp", state: "ESTABLISHED", local_address: "10.1.2.3", local_port: 465, remote_address: "203.0.113.5", remote_port: 51237, uid: 33, inode: "3" },
      ],
    },
  },
  { name: "empty file", input: "", proto: "tcp6", output: { rows: [], skipped: 0 } },
];

describe("parseProcNetTcp", () => {
  it.each(cases)("$name", ({ input, proto, byteOrder, ports, output }) => {
    expect(parseProcNetTcp(input, proto, { byteOrder, ports })).toEqual(output);
  });
});
