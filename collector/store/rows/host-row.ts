import type { Hello } from "../../../shared/gen/spamtrace/v1/ingest_pb.js";
import { toClickHouseDateTime } from "../clickhouse/datetime.js";
import type { Row } from "../clickhouse/store.js";

/** The `hosts` row for a Hello received now. */
export function hostRow(hello: Hello, certName: string, collectorId: string, nowMs: number): Row {
  return {
    host_id: hello.hostId,
    hostname: hello.hostname,
    ip_addresses: hello.ipAddresses,
    os: hello.os,
    kernel: hello.kernel,
    probe_version: hello.probeVersion,
    mta_kind: hello.mta?.kind ?? "unknown",
    mta_version: hello.mta?.version ?? "",
    mta_binary_paths: hello.mta?.binaryPaths ?? [],
    mta_log_paths: hello.mta?.logPaths ?? [],
    mta_queue_path: hello.mta?.queuePath ?? "",
    mta_names: hello.mta?.mtaNames ?? [],
    boot_time_unix_ms: Number(hello.bootTimeUnixMs),
    stream_epoch: hello.streamEpoch.toString(),
    cert_name: certName,
    collector_id: collectorId,
    last_seen: toClickHouseDateTime(nowMs),
    last_seen_unix_ms: nowMs,
  };
}
