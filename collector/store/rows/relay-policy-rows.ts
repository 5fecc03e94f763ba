import type { Batch } from "../../../shared/gen/spamtrace/v1/ingest_pb.js";
import { toClickHouseDateTime } from "../clickhouse/datetime.js";
import type { Row } from "../clickhouse/store.js";

/** The `relay_policies` row of a batch that carries a full relay policy; none for a hash-only one. */
export function relayPolicyRows(batch: Batch): Row[] {
  const p = batch.relayPolicy;
  if (p === undefined || !p.full) return [];
  return [
    {
      host_id: batch.hostId,
      stream_epoch: batch.streamEpoch.toString(),
      batch_seq: batch.seq.toString(),
      observed_at: toClickHouseDateTime(Number(batch.createdAtUnixMs)),
      read_at_unix_ms: Number(p.readAtUnixMs),
      hash: p.hash,
      mta: p.mta,
      served_domains: p.servedDomains,
      permitted_networks: p.permittedNetworks,
      unreadable_sources: p.unreadableSources,
      sources: p.sources,
      finding_settings: p.findings.map((f) => f.setting),
      finding_files: p.findings.map((f) => f.file),
      finding_values: p.findings.map((f) => f.value),
      finding_reasons: p.findings.map((f) => f.reason),
    },
  ];
}
