// The collector's own share of the acknowledgement latency, from its /metrics:
// how long storing a batch took (spamtrace_collector_store_batch_seconds) and
// how late its event loop ran (nodejs_eventloop_lag_p99_seconds). The probes'
// ack latency is measured in the generator, whose event loop lags too when it
// is short of CPU (TLS handshakes of thousands of connections on one core);
// these figures are the collector's side alone.

/** Cumulative bucket counts of the store histogram, by upper bound in seconds. */
type Buckets = Map<number, number>;

const BUCKET = /^spamtrace_collector_store_batch_seconds_bucket\{le="([^"]+)"\} (\d+)/;
const LAG_P99 = /^spamtrace_collector_nodejs_eventloop_lag_p99_seconds (\S+)/;
/** V8's heap (used, and reserved by its spaces) and memory held outside it by JS objects (Buffers): the rest of the RSS is native (TLS, HTTP/2, the allocator). */
const HEAP = /^spamtrace_collector_nodejs_heap_size_(used|total)_bytes (\S+)/;
const EXTERNAL = /^spamtrace_collector_nodejs_external_memory_bytes (\S+)/;

/** Reads /metrics; undefined when the collector does not answer (e.g. while it restarts). */
async function scrape(adminPort: number): Promise<{ buckets: Buckets; lagP99S: number; heapMb: { used: number; total: number; external: number } } | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const buckets: Buckets = new Map();
    let lagP99S = NaN;
    const heapMb = { used: NaN, total: NaN, external: NaN };
    for (const line of text.split("\n")) {
      const b = BUCKET.exec(line);
      if (b) buckets.set(b[1] === "+Inf" ? Infinity : Number(b[1]), Number(b[2]));
      const l = LAG_P99.exec(line);
      if (l) lagP99S = Number(l[1]);
      const h = HEAP.exec(line);
      if (h) heapMb[h[1] as "used" | "total"] = Number(h[2]) / 2 ** 20;
      const e = EXTERNAL.exec(line);
      if (e) heapMb.external = Number(e[1]) / 2 ** 20;
    }
    return { buckets, lagP99S, heapMb };
  } catch {
    return undefined;
  }
}

/** Per window: batches stored, the share stored within 1 s, the bucket bound under which 99 % were stored, the event loop's lag p99. */
export function collectorLatencyWindows(adminPort: number) {
  let last: Buckets | undefined;
  return {
    async next(): Promise<string> {
      const now = await scrape(adminPort);
      if (!now) return "collector metrics unavailable";
      const before = last && [...now.buckets].every(([le, n]) => n >= (last!.get(le) ?? 0)) ? last : new Map<number, number>();
      last = now.buckets;
      const bounds = [...now.buckets.keys()].sort((a, b) => a - b);
      const delta = (le: number): number => (now.buckets.get(le) ?? 0) - (before.get(le) ?? 0);
      const total = delta(Infinity);
      const heap = `, heap ${now.heapMb.used.toFixed(0)}/${now.heapMb.total.toFixed(0)} MB used/total, external ${now.heapMb.external.toFixed(0)} MB`;
      if (total === 0) return `collector: no batch stored, event-loop lag p99 ${(now.lagP99S * 1000).toFixed(0)} ms${heap}`;
      const p99 = bounds.find((le) => delta(le) >= 0.99 * total) ?? Infinity;
      return `collector: ${total} stored, ${((100 * delta(1)) / total).toFixed(1)} % within 1 s, p99 ≤ ${p99} s, event-loop lag p99 ${(now.lagP99S * 1000).toFixed(0)} ms${heap}`;
    },
  };
}
