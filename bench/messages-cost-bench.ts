// Benchmark: what the `messages` table costs.
//  1. Probe CPU: the corpus Postfix logs (queue ids varied per repetition, as in
//     parse-log-bench.ts) parsed and aggregated into windows as the probe does,
//     without and with the message ledger and the MessageRecord/MessageDelivery
//     protobuf encoding the probe adds per batch. CPU time of this process.
//  2. ClickHouse disk: 1,000,000 `messages` rows (and their delivery rows)
//     made from those messages, with unique queue ids, inserted into the
//     embedded engine (chdb) with the collector's own schema; bytes on disk
//     after OPTIMIZE FINAL, per million messages.
//   npx tsx bench/messages-cost-bench.ts [--lines N] [--runs N] [--messages N]
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { toBinary } from "@bufbuild/protobuf";
import { MessageDeliverySchema, MessageRecordSchema } from "../shared/gen/spamtrace/v1/ingest_pb.js";
import { MessageLedger, type DeliveryRow, type MessageRow } from "../shared/mta/aggregate/message-ledger.js";
import { toMessageDelivery, toMessageRecord } from "../shared/mta/aggregate/message-messages.js";
import { WindowAggregator } from "../shared/mta/aggregate/window-aggregator.js";
import { MailLogParser } from "../shared/mta/parse/mail-log-parser.js";
import { ChdbStore } from "../collector/store/clickhouse/chdb-store.js";
import { migrate } from "../collector/store/clickhouse/migrate.js";
import { MIGRATIONS } from "../collector/store/clickhouse/migrations.js";
import { toClickHouseDateTime } from "../collector/store/clickhouse/datetime.js";

const repoRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const corpusPostfix = resolve(repoRoot, "../shared/corpus/postfix");
const POSTFIX_LINE = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ postfix[^\s[]*\[\d+\]: /;
const QUEUE_ID = /\b[0-9A-F]{8,12}\b/g;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function baseLines(): string[] {
  const dir = existsSync(corpusPostfix) ? corpusPostfix : resolve(repoRoot, "test/fixtures/mta-logs");
  const lines: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith(".log")) continue;
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) if (POSTFIX_LINE.test(line) && !line.includes("[ID ")) lines.push(line);
  }
  return lines;
}

/** The base lines repeated with their queue ids varied per repetition, up to `target` lines. */
function buildLines(target: number): string[] {
  const base = baseLines();
  const out: string[] = [];
  for (let rep = 0; out.length < target; rep++) {
    const mask = (Math.imul(rep + 1, 2654435761) >>> 16) & 0xffff;
    for (const line of base) out.push(line.replace(QUEUE_ID, (q) => q.slice(0, -4) + (parseInt(q.slice(-4), 16) ^ mask).toString(16).toUpperCase().padStart(4, "0")));
  }
  return out.slice(0, target);
}

function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** One probe-like pass: parse, aggregate, drain every 10,000 lines (a batch); with the ledger, also encode its rows. */
function pass(lines: readonly string[], withLedger: boolean): { ms: number; messages: MessageRow[]; deliveries: DeliveryRow[]; bytes: number } {
  const aggregator = new WindowAggregator();
  const ledger = new MessageLedger();
  const messages: MessageRow[] = [];
  const deliveries: DeliveryRow[] = [];
  let bytes = 0;
  const parser = new MailLogParser(
    (e) => {
      aggregator.add(e);
      if (withLedger) ledger.add(e);
    },
    { mta: "postfix" },
  );
  const start = process.cpuUsage();
  for (let i = 0; i < lines.length; i++) {
    parser.parseLine(lines[i]!);
    if (i % 10_000 === 9_999 || i === lines.length - 1) {
      aggregator.drainAll();
      if (withLedger) {
        const d = ledger.drain();
        for (const m of d.messages) bytes += toBinary(MessageRecordSchema, toMessageRecord(m)).length;
        for (const x of d.deliveries) bytes += toBinary(MessageDeliverySchema, toMessageDelivery(x)).length;
        messages.push(...d.messages);
        deliveries.push(...d.deliveries);
      }
    }
  }
  return { ms: cpuMs(start), messages, deliveries, bytes };
}

async function diskPerMillion(messages: readonly MessageRow[], deliveries: readonly DeliveryRow[], target: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "messages-bench-"));
  const database = "bench";
  const store = await ChdbStore.open(join(dir, "chdb"), database);
  try {
    await migrate(store, { database, retentionDays: 30 }, MIGRATIONS);
    const byQueue = new Map<string, DeliveryRow[]>();
    for (const d of deliveries) byQueue.set(d.queue_id, [...(byQueue.get(d.queue_id) ?? []), d]);
    let written = 0;
    let deliveryRows = 0;
    const batchKey = { host_id: "web42.fleet.example", stream_epoch: "1764547200000" };
    // The log's times are moved to the last day: rows older than store.messageRetentionDays are removed by
    // the table's TTL on merge (chdb has TTL), which is why this bench once counted 0 rows after OPTIMIZE.
    const firstAt = messages.reduce((min, m) => Math.min(min, m.received_at_unix_ms), Infinity);
    const shift = Date.now() - 86_400_000 - firstAt;
    for (let rep = 0; written < target; rep++) {
      const mRows: Record<string, unknown>[] = [];
      const dRows: Record<string, unknown>[] = [];
      for (const m of messages) {
        if (written + mRows.length >= target) break;
        const qid = `${m.queue_id}${rep.toString(36).toUpperCase()}`;
        const at = m.received_at_unix_ms + shift + rep * 1000;
        const seq = String(Math.floor((written + mRows.length) / 50) + 1);
        mRows.push({ ...batchKey, batch_seq: seq, received_at: toClickHouseDateTime(at), received_at_unix_ms: at, queue_id: qid, message_id: m.message_id === null ? null : `${randomBytes(6).toString("hex")}.${m.message_id}`, sender: m.sender, null_sender: m.null_sender ? 1 : 0, sasl_user: m.sasl_user, local_user: m.local_user, local_uid: m.local_uid, script: m.script, client_ip: m.client_ip, client_host: m.client_host, size_bytes: m.size_bytes, recipient_count: m.recipient_count, protocol: m.protocol, source: m.source });
        for (const d of byQueue.get(m.queue_id) ?? []) {
          dRows.push({ ...batchKey, batch_seq: seq, queue_id: qid, recipient_domain: d.recipient_domain, outcome: d.outcome, count: d.count, first_at: toClickHouseDateTime(d.first_at_unix_ms + shift + rep * 1000), first_at_unix_ms: d.first_at_unix_ms + shift + rep * 1000, last_at: toClickHouseDateTime(d.last_at_unix_ms + shift + rep * 1000), last_at_unix_ms: d.last_at_unix_ms + shift + rep * 1000, relay: d.relay, status_text: d.status_text, dsn: d.dsn });
        }
      }
      for (let i = 0; i < mRows.length; i += 50_000) await store.insert("messages", mRows.slice(i, i + 50_000) as never);
      for (let i = 0; i < dRows.length; i += 50_000) await store.insert("message_deliveries", dRows.slice(i, i + 50_000) as never);
      written += mRows.length;
      deliveryRows += dRows.length;
    }
    for (const t of ["messages", "message_deliveries"]) await store.command(`OPTIMIZE TABLE ${database}.${t} FINAL`);
    // system.tables' totals (the active parts' bytes on disk, compressed).
    const parts = await store.query<{ name: string; n_rows: string; n_bytes: string }>(
      `SELECT name, total_rows AS n_rows, total_bytes AS n_bytes FROM system.tables WHERE database = '${database}' AND name IN ('messages', 'message_deliveries') ORDER BY name`,
    );
    const counted = await store.query<{ n: string }>(`SELECT count() AS n FROM ${database}.messages`);
    // A disk figure of fewer rows than inserted (expired by the TTL, lost) would be wrong: refuse to print it.
    if (Number(counted[0]?.n ?? 0) !== written) throw new Error(`messages holds ${counted[0]?.n ?? 0} rows, ${written} inserted: disk figure not measured`);
    console.log(`\nClickHouse disk (embedded chdb, LZ4, after OPTIMIZE FINAL), ${written.toLocaleString("en-US")} messages, ${deliveryRows.toLocaleString("en-US")} delivery rows:`);
    let total = 0;
    for (const p of parts) {
      const bytes = Number(p.n_bytes);
      total += bytes;
      console.log(`  ${p.name.padEnd(19)} ${Number(p.n_rows).toLocaleString("en-US").padStart(10)} rows  ${(bytes / 1024 / 1024).toFixed(1).padStart(7)} MiB  ${(bytes / Number(p.n_rows)).toFixed(1)} B/row`);
    }
    console.log(`  per million messages: ${((total / written) * 1e6 / 1024 / 1024).toFixed(1)} MiB (both tables)`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines = buildLines(arg("--lines", 1_000_000));
const runs = arg("--runs", 3);
const results: { without: number[]; with: number[] } = { without: [], with: [] };
let last: ReturnType<typeof pass> | undefined;
pass(lines.slice(0, 50_000), true); // warm-up
for (let r = 0; r < runs; r++) {
  results.without.push(pass(lines, false).ms);
  last = pass(lines, true);
  results.with.push(last.ms);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const a = median(results.without);
const b = median(results.with);
console.log(`probe CPU over ${lines.length.toLocaleString("en-US")} Postfix lines (${last!.messages.length.toLocaleString("en-US")} messages accepted, ${last!.deliveries.length.toLocaleString("en-US")} delivery rows), median of ${runs}:`);
console.log(`  windows only:                 ${a.toFixed(0)} ms CPU`);
console.log(`  windows + messages (encoded): ${b.toFixed(0)} ms CPU  (+${(b - a).toFixed(0)} ms, +${(((b - a) / a) * 100).toFixed(1)} %; ${(((b - a) * 1000) / last!.messages.length).toFixed(2)} µs per message)`);
console.log(`  wire: ${(last!.bytes / last!.messages.length).toFixed(0)} bytes of protobuf per message (records + delivery rows)`);
await diskPerMillion(last!.messages, last!.deliveries, arg("--messages", 1_000_000));
console.log("done");
