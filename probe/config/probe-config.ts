import * as v from "valibot";
import { describeValibotIssue } from "../../shared/config/format-valibot-issue.js";
import { loadConfigWith } from "../../shared/config/load-config.js";
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

/**
 * The probe's configuration schema; every key documented in docs/configuration.md.
 * Written with valibot, not zod like the collector's: the running probe costs
 * ~10 MB less RSS (issue 13's 60 MB; bench/README.md has the measurement).
 */
const hostPort = v.pipe(v.string(), v.regex(/^.+:\d{1,5}$/, "must be host:port"));
const int = (min: number, max?: number) =>
  max === undefined ? v.pipe(v.number(), v.integer(), v.minValue(min)) : v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const nonEmpty = v.pipe(v.string(), v.minLength(1));

/**
 * A string matching `pattern`. All-digit ids (server "10234") arrive as
 * numbers from YAML and the environment, so numbers are taken as their text.
 */
function idString(pattern: RegExp) {
  return v.pipe(
    v.unknown(),
    v.transform((value) => (typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value)),
    v.string(),
    v.regex(pattern, `must match ${String(pattern)}`),
  );
}

export const probeConfigSchema = v.strictObject({
  /** Host id reported to the collector; must equal the probe certificate's name. Default: /etc/machine-id. */
  hostId: v.optional(idString(HOST_ID_PATTERN)),
  collector: v.optional(
    v.pipe(
      v.strictObject({
        /** host:port of the collector's gRPC listener, or a list of collectors sharing one store (a failed stream moves to the next). */
        address: v.optional(v.union([hostPort, v.pipe(v.array(hostPort), v.minLength(1))]), "127.0.0.1:7443"),
        /** Folder with ca.crt and probe-<hostId>.crt/.key as written by `spamtrace certs init`. */
        certsDir: v.optional(nonEmpty, "var/certs"),
        /** CA certificate that signed the collector's certificate (default: certsDir/ca.crt). */
        caFile: v.optional(nonEmpty),
        /** This probe's certificate (default: certsDir/probe-<hostId>.crt). */
        certFile: v.optional(nonEmpty),
        /** This probe's private key (default: certsDir/probe-<hostId>.key). */
        keyFile: v.optional(nonEmpty),
        /** Name expected in the collector's certificate when the address is not in it. */
        serverName: v.optional(nonEmpty),
        /** Plaintext without certificates. Never in production; logged as a warning. */
        insecure: v.optional(v.boolean(), false),
        /** Interval of HTTP/2 keepalive pings, ms: a cut network is noticed after about twice this. */
        keepaliveMs: v.optional(int(1000, 600_000), 15_000),
        /** Most batches sent and not yet acknowledged. */
        maxInFlight: v.optional(int(1, 1024), 16),
        /** First reconnect delay, ms. */
        reconnectMinMs: v.optional(int(10, 60_000), 500),
        /** Longest reconnect delay, ms. */
        reconnectMaxMs: v.optional(int(100, 600_000), 30_000),
      }),
      v.forward(
        v.check((c) => c.reconnectMinMs <= c.reconnectMaxMs, "reconnectMinMs must be <= reconnectMaxMs"),
        ["reconnectMinMs"],
      ),
    ),
    {},
  ),
  sockets: v.optional(
    v.strictObject({
      /** TCP ports that count as SMTP (local or remote). */
      ports: v.optional(v.pipe(v.array(int(1, 65535)), v.minLength(1)), () => [...DEFAULT_SMTP_PORTS]),
      /** "proc" reads /proc directly; "lsof" parses `lsof -F` (fallback). */
      source: v.optional(v.picklist(["proc", "lsof"]), "proc"),
      /** Interval between checks for new connections, ms; the table is read on a new connection, at least every 2 s while connections are accepted or closed, and every 0.9 × snapshotIntervalMs otherwise (source proc). */
      sampleIntervalMs: v.optional(int(50, 60_000), DEFAULT_SAMPLE_INTERVAL_MS),
      /** Interval between snapshots sent to the collector, ms. */
      snapshotIntervalMs: v.optional(int(100, 3_600_000), DEFAULT_SNAPSHOT_INTERVAL_MS),
    }),
    {},
  ),
  mta: v.optional(
    v.strictObject({
      /** "auto" detects the MTA (processes, binaries, config); a kind forces it (keeping what detection found for that kind). */
      kind: v.optional(v.picklist(PROBE_MTA_KIND_SETTINGS), "auto"),
      /** Log files to follow instead of the detected one (the first detected existing log). */
      logPaths: v.optional(v.array(nonEmpty)),
      /** Extra executables that belong to the MTA (e.g. a second Postfix instance's binaries). */
      binaryPaths: v.optional(v.array(nonEmpty), () => []),
      /** Names the MTA writes into Received: besides the ones the probe reads (myhostname, primary_hostname), e.g. a listener's name. */
      names: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(253))), v.maxLength(64)), () => []),
      /** Queue (spool) directory instead of the detected one. */
      queuePath: v.optional(nonEmpty),
      /** Environment for the MTA's own commands, e.g. MAIL_CONFIG for a Postfix instance's postqueue. */
      commandEnv: v.optional(v.record(v.pipe(v.string(), v.regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name")), v.string()), () => ({})),
      /** Aggregation window of log events, ms (the design's one minute by default). */
      windowMs: v.optional(int(1000, 3_600_000), 60_000),
      /**
       * Interval between log-only batches, ms: the lines read since the last
       * batch go to the collector without waiting for the next socket
       * snapshot (nothing new, nothing sent). 0: logs go with the snapshots only.
       */
      logFlushIntervalMs: v.optional(int(0, 3_600_000), 2_000),
      /** Where a log without a saved cursor is read from: "end" (new lines only) or "start". */
      logStartAt: v.optional(v.picklist(["start", "end"]), "end"),
      /** Interval between queue snapshots, ms; 0 turns them off. */
      queueIntervalMs: v.optional(int(0, 86_400_000), 60_000),
      /** Interval between cheap counts of the queue directory, ms; a count that moved (10 %, or any change of a small queue) takes the listing at once. 0 turns them off. */
      queueCheckIntervalMs: v.optional(int(0, 3_600_000), 5_000),
      /** Interval between re-reads of the MTA's relay policy (served domains, permitted networks), ms; 0 reads it only at start. */
      relayPolicyIntervalMs: v.optional(int(0, 86_400_000), 300_000),
    }),
    {},
  ),
  /** Where local submissions are named by script when the MTA logs none (Postfix); see docs/configuration.md. */
  scripts: v.optional(
    v.strictObject({
      /** Postfix maildrop directory to watch; default <queue directory>/maildrop on Postfix; "" turns the watch off. */
      maildropDir: v.optional(v.string()),
      /** PHP mail.log files to follow instead of those set in php.ini, PHP-FPM pools and `php -i`; [] turns them off. */
      phpMailLogs: v.optional(v.array(v.pipe(v.string(), v.regex(/^\//, "must be an absolute path")))),
    }),
    {},
  ),
  spool: v.optional(
    v.strictObject({
      /** Folder of the on-disk spool. */
      dir: v.optional(nonEmpty, "var/spool"),
      /** Spool bound, bytes; the oldest batches are evicted (and reported) beyond it. */
      maxBytes: v.optional(int(MIN_SPOOL_BYTES), DEFAULT_SPOOL_MAX_BYTES),
    }),
    {},
  ),
  metrics: v.optional(
    v.strictObject({
      /** Address of the probe's /metrics endpoint. */
      host: v.optional(nonEmpty, "127.0.0.1"),
      /** Port of the probe's /metrics endpoint; 0 picks a free port; -1 disables it. */
      port: v.optional(int(-1, 65535), 7445),
    }),
    {},
  ),
});

/** Validated probe configuration. */
export type ProbeConfig = v.InferOutput<typeof probeConfigSchema>;

/** Loads the probe config: flags > file > SPAMTRACE_PROBE_* environment > defaults. */
export function loadProbeConfig(file: string | undefined, overrides?: Record<string, unknown>, env?: NodeJS.ProcessEnv): ProbeConfig {
  return loadConfigWith((merged) => {
    const result = v.safeParse(probeConfigSchema, merged);
    if (result.success) return { ok: true, value: result.output };
    return { ok: false, ...describeValibotIssue(result.issues[0], merged) };
  }, { file, envPrefix: "SPAMTRACE_PROBE_", overrides, env });
}
