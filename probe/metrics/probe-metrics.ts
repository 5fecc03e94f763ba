import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/**
 * How often the event-loop lag metrics sample the loop, ms. prom-client's
 * default (10 ms) is a timer that wakes the probe 100 times a second, more
 * than all its own work (about 22 wake-ups a second, 20 of them the socket
 * check); a lag longer than this still shows in the metrics. Each wake-up of
 * the probe costs ~0.02 % of a core (bench/README.md, session 15).
 */
export const EVENT_LOOP_SAMPLE_MS = 1000;

/** The probe's Prometheus metrics. */
export class ProbeMetrics {
  /** Registry served at /metrics. */
  readonly registry = new Registry();
  /** Socket table samples taken, by result (ok, failed). */
  readonly samples = new Counter({ name: "spamtrace_probe_socket_samples_total", help: "Socket table samples, by result", labelNames: ["result"] as const, registers: [this.registry] });
  /** Batches written to the spool. */
  readonly batchesSpooled = new Counter({ name: "spamtrace_probe_batches_spooled_total", help: "Batches written to the spool", registers: [this.registry] });
  /** Batches acknowledged by the collector. */
  readonly batchesAcked = new Counter({ name: "spamtrace_probe_batches_acked_total", help: "Batches acknowledged by the collector", registers: [this.registry] });
  /** Batches evicted from the full spool (lost). */
  readonly stringsClipped = new Counter({ name: "spamtrace_probe_strings_clipped_total", help: "Strings of batches cut to the wire limit (4096 chars) before spooling", registers: [this.registry] });
  readonly batchesSetAside = new Counter({ name: "spamtrace_probe_batches_set_aside_total", help: "Batches the collector kept refusing as invalid, moved to the spool's rejected/ folder", registers: [this.registry] });
  readonly batchesEvicted = new Counter({ name: "spamtrace_probe_spool_evicted_batches_total", help: "Batches evicted from a full spool", registers: [this.registry] });
  /** Bytes in the spool. */
  readonly spoolBytes = new Gauge({ name: "spamtrace_probe_spool_bytes", help: "Bytes waiting in the spool", registers: [this.registry] });
  private readConnected: (() => boolean) | undefined;
  /** 1 while connected to the collector; read at scrape time (a timer would wake the probe every second). */
  readonly connected = new Gauge({
    name: "spamtrace_probe_connected",
    help: "1 while a collector stream is open",
    registers: [this.registry],
    collect: () => {
      if (this.readConnected) this.connected.set(this.readConnected() ? 1 : 0);
    },
  });

  /** Points `connected` at the sender's state. */
  watchConnected(read: () => boolean): void {
    this.readConnected = read;
  }

  private readAttribution: (() => { byMaildrop: number; byPhpLog: number; unmatched: number } | undefined) | undefined;
  /** Local submissions (Postfix pickup) by what named their script; read at scrape time from the mail log collector. */
  readonly localSubmissions = new Gauge({
    name: "spamtrace_probe_local_submissions",
    help: "Local submissions since start, by what named their script: maildrop, php_mail_log, none (counts only rise)",
    labelNames: ["named_by"] as const,
    registers: [this.registry],
    collect: () => {
      const s = this.readAttribution?.();
      if (s === undefined) return;
      this.localSubmissions.set({ named_by: "maildrop" }, s.byMaildrop);
      this.localSubmissions.set({ named_by: "php_mail_log" }, s.byPhpLog);
      this.localSubmissions.set({ named_by: "none" }, s.unmatched);
    },
  });

  /** Points localSubmissions at the attribution counters of the running collector. */
  watchAttribution(read: () => { byMaildrop: number; byPhpLog: number; unmatched: number } | undefined): void {
    this.readAttribution = read;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "spamtrace_probe_", eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }

  /** Serves /metrics on host:port; returns the server. */
  async listen(host: string, port: number): Promise<{ port: number; server: Server }> {
    const server = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      void this.registry.metrics().then((body) => {
        res.writeHead(200, { "content-type": this.registry.contentType });
        res.end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
    return { port: (server.address() as AddressInfo).port, server };
  }
}
