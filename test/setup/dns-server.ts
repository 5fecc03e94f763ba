// A small authoritative DNS server on loopback (UDP) for the DNSBL tests:
// answers A and TXT questions from a table, NXDOMAIN for names it does not
// know, and never answers the names it is told to drop (a resolver timeout).
// RFC 1035 §4.1 wire format; only what a stub resolver's query needs.
import { createSocket, type Socket } from "node:dgram";
import type { AddressInfo } from "node:net";

/** What the server answers for one name (lower-case, no trailing dot). */
export interface DnsRecordSet {
  a?: string[];
  txt?: string[];
  ttl?: number;
  /** Never answer (the resolver times out). */
  drop?: boolean;
}

/** A running test DNS server. */
export interface TestDnsServer {
  /** "127.0.0.1:PORT", as dnsbl.servers takes it. */
  server: string;
  /** Every question received, "NAME TYPE" (TYPE: A, TXT, or the number). */
  questions: string[];
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_TXT = 16;

/** Starts the server on 127.0.0.1, a free port. */
export async function startDnsServer(records: Readonly<Record<string, DnsRecordSet>>): Promise<TestDnsServer> {
  const socket: Socket = createSocket("udp4");
  const questions: string[] = [];
  socket.on("message", (query, peer) => {
    const parsed = parseQuestion(query);
    if (!parsed) return;
    const { id, name, type, questionEnd, rd } = parsed;
    questions.push(`${name} ${type === TYPE_A ? "A" : type === TYPE_TXT ? "TXT" : type}`);
    const set = records[name];
    if (set?.drop) return;
    const answers: Buffer[] = [];
    const ttl = set?.ttl ?? 300;
    if (set && type === TYPE_A) for (const a of set.a ?? []) answers.push(record(TYPE_A, ttl, Buffer.from(a.split(".").map(Number))));
    if (set && type === TYPE_TXT) for (const t of set.txt ?? []) answers.push(record(TYPE_TXT, ttl, Buffer.concat([Buffer.from([Buffer.byteLength(t)]), Buffer.from(t)])));
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    // QR=1, AA=1, RD copied; RCODE 3 (NXDOMAIN) for an unknown name, 0 otherwise.
    header.writeUInt16BE(0x8400 | (rd ? 0x0100 : 0) | (set ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, query.subarray(12, questionEnd), ...answers]), peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  return {
    server: `127.0.0.1:${(socket.address() as AddressInfo).port}`,
    questions,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function parseQuestion(query: Buffer): { id: number; name: string; type: number; questionEnd: number; rd: boolean } | undefined {
  if (query.length < 17 || query.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  while (offset < query.length && query[offset]! !== 0) {
    const length = query[offset]!;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString("latin1"));
    offset += 1 + length;
  }
  if (offset + 5 > query.length) return undefined;
  return { id: query.readUInt16BE(0), name: labels.join(".").toLowerCase(), type: query.readUInt16BE(offset + 1), questionEnd: offset + 5, rd: (query[2]! & 1) === 1 };
}

// An answer record whose name is a pointer to the question's (offset 12).
function record(type: number, ttl: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt32BE(ttl, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}
