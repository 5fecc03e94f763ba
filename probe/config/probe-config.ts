import { z } from "zod";
import { idString } from "../../shared/config/id-string.js";
import { loadConfig } from "../../shared/config/load-config.js";
import { PROBE_MTA_KIND_SETTINGS } from "../../shared/mta/mta-kinds.js";
import { HOST_ID_PATTERN } from "../../shared/types/host-id.js";
import { DEFAULT_SMTP_PORTS } from "../../shared/types/socket-record.js";
import { MIN_SPOOL_BYTES } from "../spool/disk-spool.js";

/**
 * Default interval between checks for new TCP connections, ms: a session of
 * 100 ms is seen when the socket table is read within it. Each tick reads
 * /proc/net/snmp (cheap); the table itself only when a connection was opened
 * (probe/pipeline/sample-sockets.ts).
 */
export const DEFAULT_SAMPLE_INTERVAL_MS = 50;
/** Default interval between socket snapshots sent, ms. */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 10_000;
/** Default spool bound, bytes. */
export const DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024;

/** The probe's configuration schema; every key documented in docs/configuration.md. */
const hostPort = z.string().regex(/^.+:\d{1,5}$/, "must be host:port");

export const probeConfigSchema = z.strictObject({
  /** Host id reported to the collector; must equal the probe certificate's name. Default: /etc/machine-id. */
  hostId: idString(HOST_ID_PATTERN).optional(),
  collector: z
    .strictObject({
      /** host:port of the collector's gRPC listener, or a list of collectors sharing one store (a failed stream moves to the next). */
      address: z.union([hostPort, z.array(hostPort).min(1, "must list at least one host:port")]).default("127.0.0.1:7443"),
      /** Folder with ca.crt and probe-<hostId>.crt/.key as written by `spamtrace certs init`. */
      certsDir: z.string().min(1).default("var/certs"),
      /** CA certificate that signed the collector's certificate (default: certsDir/ca.crt). */
      caFile: z.string().min(1).optional(),
      /** This probe's certificate (default: certsDir/probe-<hostId>.crt). */
      certFile: z.string().min(1).optional(),
      /** This probe's private key (default: certsDir/probe-<hostId>.key). */
      keyFile: z.string().min(1).optional(),
      /** Name expected in the collector's certificate when the address is not in it. */
      serverName: z.string().min(1).optional(),
      /** Plaintext without certificates. Never in production; logged as a warning. */
      insecure: z.boolean().default(false),
      /** Interval of HTTP/2 keepalive pings, ms: a cut network is noticed after about twice this. */
      keepaliveMs: z.number().int().min(1000).max(600_000).default(15_000),
      /** Most batches sent and not yet acknowledged. */
      maxInFlight: z.number().int().min(1).max(1024).default(16),
      /** First reconnect delay, ms. */
      reconnectMinMs: z.number().int().min(10).max(60_000).default(500),
      /** Longest reconnect delay, ms. */
      reconnectMaxMs: z.number().int().min(100).max(600_000).default(30_000),
    })
    .refine((c) => c.reconnectMinMs <= c.reconnectMaxMs, { message: "reconnectMinMs must be <= reconnectMaxMs", path: ["reconnectMinMs"] })
    .prefault({}),
  sockets: z
    .strictObject({
      /** TCP ports that count as SMTP (local or remote). */
      ports: z.array(z.number().int().min(1).max(65535)).min(1).default([...DEFAULT_SMTP_PORTS]),
      /** "proc" reads /proc directly; "lsof" parses `lsof -F` (fallback). */
      source: z.enum(["proc", "lsof"]).default("proc"),
      /** Interval between checks for new connections, ms; the table is read on a new connection and at least every 2 s (source proc). */
      sampleIntervalMs: z.number().int().min(50).max(60_000).default(DEFAULT_SAMPLE_INTERVAL_MS),
      /** Interval between snapshots sent to the collector, ms. */
      snapshotIntervalMs: z.number().int().min(100).max(3_600_000).default(DEFAULT_SNAPSHOT_INTERVAL_MS),
    })
    .prefault({}),
  mta: z
    .strictObject({
      /** "auto" detects the MTA (processes, binaries, config); a kind forces it (keeping what detection found for that kind). */
      kind: z.enum(PROBE_MTA_KIND_SETTINGS).default("auto"),
      /** Log files to follow instead of the detected one (the first detected existing log). */
      logPaths: z.array(z.string().min(1)).optional(),
      /** Extra executables that belong to the MTA (e.g. a second Postfix instance's binaries). */
      binaryPaths: z.array(z.string().min(1)).default([]),
      /** Names the MTA writes into Received: besides the ones the probe reads (myhostname, primary_hostname), e.g. a listener's name. */
      names: z.array(z.string().min(1).max(253)).max(64).default([]),
      /** Queue (spool) directory instead of the detected one. */
      queuePath: z.string().min(1).optional(),
      /** Environment for the MTA's own commands, e.g. MAIL_CONFIG for a Postfix instance's postqueue. */
      commandEnv: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
      /** Aggregation window of log events, ms (the design's one minute by default). */
      windowMs: z.number().int().min(1000).max(3_600_000).default(60_000),
      /**
       * Interval between log-only batches, ms: the lines read since the last
       * batch go to the collector without waiting for the next socket
       * snapshot (nothing new, nothing sent). 0: logs go with the snapshots only.
       */
      logFlushIntervalMs: z.number().int().min(0).max(3_600_000).default(2_000),
      /** Where a log without a saved cursor is read from: "end" (new lines only) or "start". */
      logStartAt: z.enum(["start", "end"]).default("end"),
      /** Interval between queue snapshots, ms; 0 turns them off. */
      queueIntervalMs: z.number().int().min(0).max(86_400_000).default(60_000),
      /** Interval between cheap counts of the queue directory, ms; a count that moved (10 %, or any change of a small queue) takes the listing at once. 0 turns them off. */
      queueCheckIntervalMs: z.number().int().min(0).max(3_600_000).default(5_000),
      /** Interval between re-reads of the MTA's relay policy (served domains, permitted networks), ms; 0 reads it only at start. */
      relayPolicyIntervalMs: z.number().int().min(0).max(86_400_000).default(300_000),
    })
    .prefault({}),
  /** Where local submissions are named by script when the MTA logs none (Postfix); see docs/configuration.md. */
  scripts: z
    .strictObject({
      /** Postfix maildrop directory to watch; default <queue directory>/maildrop on Postfix; "" turns the watch off. */
      maildropDir: z.string().optional(),
      /** PHP mail.log files to follow instead of those set in php.ini, PHP-FPM pools and `php -i`; [] turns them off. */
      phpMailLogs: z.array(z.string().regex(/^\//, "must be an absolute path")).optional(),
    })
    .prefault({}),
  spool: z
    .strictObject({
      /** Folder of the on-disk spool. */
      dir: z.string().min(1).default("var/spool"),
      /** Spool bound, bytes; the oldest batches are evicted (and reported) beyond it. */
      maxBytes: z.number().int().min(MIN_SPOOL_BYTES).default(DEFAULT_SPOOL_MAX_BYTES),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Address of the probe's /metrics endpoint. */
      host: z.string().min(1).default("127.0.0.1"),
      /** Port of the probe's /metrics endpoint; 0 picks a free port; -1 disables it. */
      port: z.number().int().min(-1).max(65535).default(7445),
    })
    .prefault({}),
});

/** Validated probe configuration. */
export type ProbeConfig = z.output<typeof probeConfigSchema>;

/** Loads the probe config: flags > file > SPAMTRACE_PROBE_* environment > defaults. */
export function loadProbeConfig(file: string | undefined, overrides?: Record<string, unknown>, env?: NodeJS.ProcessEnv): ProbeConfig {
  return loadConfig(probeConfigSchema, { file, envPrefix: "SPAMTRACE_PROBE_", overrides, env });
}
